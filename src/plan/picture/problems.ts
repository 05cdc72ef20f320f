/**
 * Which sentences of the plan check (problems or warnings) speak of a drawn
 * element. The check names what it refuses by its addresses, networks,
 * ranges, MACs or listener names, so an element is involved in a sentence when
 * one of its keys appears there as a whole word: 10.0.0.1 is not 10.0.0.10,
 * nor the first address of 10.0.0.1-10.0.0.9, nor the network of 10.0.0.1/24.
 */
export function involving(sentences: readonly string[], keys: readonly string[]): number[] {
  const wanted = keys.filter((k) => k.length > 0).map((k) => k.toLowerCase());
  return sentences.flatMap((sentence, index) => {
    const lower = sentence.toLowerCase();
    return wanted.some((k) => lower.includes(k) && wholeWord(k).test(sentence)) ? [index] : [];
  });
}

function wholeWord(key: string): RegExp {
  const literal = key.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  return new RegExp(`(?<![\\w.:/-])${literal}(?![\\w/-]|\\.\\w)`, 'i');
}

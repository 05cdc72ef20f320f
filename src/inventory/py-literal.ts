/*
 * Python's ast.literal_eval, as Ansible's INI inventory plugin applies it to
 * every value (InventoryModule._parse_value): a Python literal (number, string,
 * True/False/None, list, tuple, dict) becomes that value; anything else
 * (SyntaxError or ValueError in Python) stays the text as written. So
 * `mtu=9000` is 9000, `x=yes` and `x=true` stay strings, `labels="{'a': 1}"`
 * is a mapping and `ports=80,443` a list (a tuple).
 */

/** A Python literal that JSON (and so Ansible's own output) cannot hold: a set, a complex number, a list as a key. */
export class UnsupportedLiteral extends Error {}

type Token =
  | { kind: 'number'; value: number; complex: boolean }
  | { kind: 'string'; value: string; bytes: boolean; fstring: boolean }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string };

/** Thrown inside the parser: Python would not evaluate the text as a literal. */
class NotALiteral extends Error {}

/** The value `text` has in an Ansible INI inventory: the Python literal it spells, else the text itself. */
export function parseIniValue(text: string): unknown {
  try {
    return evaluate(tokenize(text.replace(/^[ \t]+/, '')));
  } catch (error) {
    if (error instanceof NotALiteral) return text;
    throw error;
  }
}

const NUMBER =
  /(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*[eE][+-]?\d(?:_?\d)*|0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?\d)*|0(?:_?0)*|\d(?:_?\d)*(?=[jJ]))([jJ])?/y;
const STRING_START = /([rRbBuUfF]{0,2})('''|"""|'|")/y;
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const OPS = '()[]{},:+-';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const match = (regex: RegExp) => {
    regex.lastIndex = at;
    return regex.exec(text);
  };
  while (at < text.length) {
    const char = text[at];
    if (char === ' ' || char === '\t' || char === '\f') {
      at++;
      continue;
    }
    if (char === '#') break;
    const string = match(STRING_START);
    if (string && isStringPrefix(string[1])) {
      const { value, end } = readString(text, at + string[0].length, string[2], string[1].toLowerCase());
      const prefix = string[1].toLowerCase();
      tokens.push({ kind: 'string', value, bytes: prefix.includes('b'), fstring: prefix.includes('f') });
      at = end;
      continue;
    }
    const number = /[\d.]/.test(char) ? match(NUMBER) : null;
    if (number) {
      at += number[0].length;
      // "1abc", "1.2.3", "0123": a SyntaxError in Python.
      if (at < text.length && /[\p{L}\p{N}_.]/u.test(text[at])) throw new NotALiteral();
      const digits = number[0].replace(/[jJ]$/, '').replaceAll('_', '');
      const value = /^0[xob]/i.test(digits) ? Number(digits.toLowerCase()) : Number(digits);
      tokens.push({ kind: 'number', value, complex: number[1] !== undefined });
      continue;
    }
    const name = match(NAME);
    if (name) {
      tokens.push({ kind: 'name', value: name[0] });
      at += name[0].length;
      continue;
    }
    if (!OPS.includes(char)) throw new NotALiteral();
    tokens.push({ kind: 'op', value: char });
    at++;
  }
  return tokens;
}

function isStringPrefix(prefix: string): boolean {
  const lower = prefix.toLowerCase();
  return ['', 'r', 'u', 'b', 'f', 'br', 'rb', 'fr', 'rf'].includes(lower);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/** The body of a string literal opened by `quote` just before `start`, escapes applied unless raw. */
function readString(text: string, start: number, quote: string, prefix: string): { value: string; end: number } {
  const raw = prefix.includes('r');
  const bytes = prefix.includes('b');
  let value = '';
  let at = start;
  for (;;) {
    if (at >= text.length) throw new NotALiteral(); // unterminated
    if (text.startsWith(quote, at)) return { value, end: at + quote.length };
    const char = text[at];
    if (bytes && char.charCodeAt(0) > 0x7f) throw new NotALiteral(); // bytes can only contain ASCII literal characters
    if (char !== '\\') {
      value += char;
      at++;
      continue;
    }
    const next = text[at + 1];
    if (next === undefined) throw new NotALiteral();
    if (raw) {
      value += char + next; // a raw string keeps the backslash; the quote after it does not end the string
      at += 2;
      continue;
    }
    const escaped = escapeAt(text, at + 1, bytes);
    value += escaped.value;
    at = escaped.end;
  }
}

/** The escape sequence whose letter is at `at` (just after the backslash). */
function escapeAt(text: string, at: number, bytes: boolean): { value: string; end: number } {
  const next = text[at];
  if (next in SIMPLE_ESCAPES) return { value: SIMPLE_ESCAPES[next], end: at + 1 };
  const octal = /[0-7]{1,3}/y;
  octal.lastIndex = at;
  const octalDigits = octal.exec(text);
  if (octalDigits) {
    const code = parseInt(octalDigits[0], 8);
    return { value: String.fromCodePoint(bytes ? code & 0xff : code), end: at + octalDigits[0].length };
  }
  const hexLength = next === 'x' ? 2 : !bytes && next === 'u' ? 4 : !bytes && next === 'U' ? 8 : 0;
  if (hexLength > 0) {
    const hex = text.slice(at + 1, at + 1 + hexLength);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw new NotALiteral();
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) throw new NotALiteral();
    return { value: String.fromCodePoint(code), end: at + 1 + hexLength };
  }
  // \N{NAME} needs Unicode's name table: not evaluated here (kept as written, a rare case).
  if (!bytes && next === 'N') throw new NotALiteral();
  return { value: '\\' + next, end: at + 1 }; // an unknown escape keeps its backslash
}

const MAX_DEPTH = 100;

/** The literal `tokens` spell (the whole expression, a bare `a, b` being a tuple). */
function evaluate(tokens: readonly Token[]): unknown {
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isOp = (value: string) => {
    const token = peek();
    return token?.kind === 'op' && token.value === value;
  };
  const expectOp = (value: string) => {
    if (!isOp(value)) throw new NotALiteral();
    at++;
  };

  /** `item, item, …` up to `close` (undefined: the end), trailing comma allowed; whether a comma was seen. */
  const sequence = (close: string | undefined, depth: number): { items: unknown[]; comma: boolean } => {
    const items: unknown[] = [];
    let comma = false;
    const ended = () => (close === undefined ? at === tokens.length : isOp(close));
    while (!ended()) {
      items.push(value(depth));
      if (ended()) break;
      expectOp(',');
      comma = true;
    }
    return { items, comma };
  };

  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) throw new NotALiteral();
    const token = peek();
    if (!token) throw new NotALiteral();
    at++;
    switch (token.kind) {
      case 'number':
        if (token.complex) throw new UnsupportedLiteral('a complex number');
        return token.value;
      case 'string': {
        let text = token.value;
        let fstring = token.fstring;
        for (let next = peek(); next?.kind === 'string'; next = peek()) {
          if (next.bytes !== token.bytes) throw new NotALiteral(); // cannot mix bytes and nonbytes literals
          text += next.value;
          fstring ||= next.fstring;
          at++;
        }
        if (fstring) throw new NotALiteral(); // an f-string is not a constant
        return text; // bytes become text, as Ansible's to_text does
      }
      case 'name':
        if (token.value === 'True') return true;
        if (token.value === 'False') return false;
        if (token.value === 'None') return null;
        throw new NotALiteral();
      case 'op':
        return container(token.value, depth);
    }
  };

  const container = (open: string, depth: number): unknown => {
    switch (open) {
      case '+':
      case '-': {
        // Only a sign on a number (perhaps in parentheses): `--5`, `-True`, `-(1,)` are not literals.
        let parens = 0;
        while (isOp('(')) {
          at++;
          parens++;
        }
        const number = peek();
        if (number?.kind !== 'number') throw new NotALiteral();
        at++;
        for (let i = 0; i < parens; i++) expectOp(')');
        if (number.complex) throw new UnsupportedLiteral('a complex number');
        return open === '-' ? -number.value : number.value;
      }
      case '[': {
        const { items } = sequence(']', depth + 1);
        expectOp(']');
        return items;
      }
      case '(': {
        const { items, comma } = sequence(')', depth + 1);
        expectOp(')');
        return comma || items.length === 0 ? items : items[0];
      }
      case '{':
        return braces(depth + 1);
      default:
        throw new NotALiteral();
    }
  };

  const braces = (depth: number): unknown => {
    const result: Record<string, unknown> = {};
    if (isOp('}')) {
      at++;
      return result;
    }
    const first = value(depth);
    if (!isOp(':')) {
      // {a, b}: a set, which JSON cannot hold (nor can ansible-inventory print it).
      sequenceRest(depth);
      throw new UnsupportedLiteral('a set');
    }
    let key = first;
    // Python's dict: equal keys (1, 1.0 and True) are one key, named as first written, holding the last value.
    const names = new Map<unknown, string>();
    for (;;) {
      expectOp(':');
      const item = value(depth);
      const hashed = typeof key === 'boolean' ? Number(key) : key;
      if (!names.has(hashed)) names.set(hashed, mappingKey(key));
      Object.defineProperty(result, names.get(hashed)!, { value: item, enumerable: true, writable: true, configurable: true });
      if (isOp('}')) break;
      expectOp(',');
      if (isOp('}')) break;
      key = value(depth);
    }
    expectOp('}');
    return result;
  };

  /** The rest of a `{a, b, …}` set, checked to be a literal (else the text stays a string, as in Python). */
  const sequenceRest = (depth: number) => {
    while (isOp(',')) {
      at++;
      if (isOp('}')) break;
      value(depth);
    }
    expectOp('}');
  };

  const { items, comma } = sequence(undefined, 0);
  if (items.length === 0) throw new NotALiteral(); // empty text
  return comma ? items : items[0];
}

/** A Python dict key as JSON writes it: strings as they are, numbers, True/False/None as "true"/"false"/"null". */
function mappingKey(key: unknown): string {
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  if (typeof key === 'boolean' || key === null) return String(key);
  throw new UnsupportedLiteral('a list, tuple or mapping as a mapping key');
}

import { fileInfo, MAX_DIFF_BYTES, type FileInfo } from '../facts/builtin.js';
import { digest, ok, type Op } from './op.js';
import { planFile, type Ownership } from './file.js';

/**
 * Edits a text file through a pure function of its current content (null when
 * absent); the result is written with the same atomic write as `file`.
 */
export function editFile(
  label: string,
  args: Ownership & { path: string; create?: boolean },
  edit: (current: string | null) => string,
): Op {
  const fact = fileInfo(args.path);
  return {
    label,
    facts: [fact],
    async plan(ctx) {
      const info = await ctx.fact(fact);
      if (!info.exists && args.create === false) return ok(`${args.path} does not exist (create: false)`);
      const current = info.exists ? editableText(args.path, info) : null;
      return planFile(info, { ...args, content: edit(current) });
    },
  };
}

/**
 * The text of an existing file to edit. A file that is not valid UTF-8 (a
 * Latin-1 byte in a comment) is refused: its content was decoded with U+FFFD
 * for each such byte, and writing an edit of it would corrupt what the edit
 * does not touch. So is a file larger than what the fileInfo fact reads of it
 * (MAX_DIFF_BYTES): an edit of no content would drop the whole file.
 */
export function editableText(path: string, info: FileInfo): string {
  if (info.type === 'file' && info.content === undefined) {
    throw new Error(
      `${path} is ${info.size ?? 'more than ' + MAX_DIFF_BYTES} bytes, larger than the ${MAX_DIFF_BYTES / 1024} KiB labwright reads to edit: ` +
        'it left the file as it is; manage it whole with file() or split it',
    );
  }
  const text = info.content ?? '';
  if (info.sha256 !== undefined && info.content !== undefined && digest(text).sha256 !== info.sha256) {
    const line = text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
    throw new Error(
      `${path} is not valid UTF-8 (line ${line}): labwright edits only UTF-8 text and left the file as it is; ` +
        'convert it (e.g. iconv -f latin1 -t utf-8) or manage it whole with file()',
    );
  }
  return text;
}

/** A line to have in a file: replaces the last line matching `regexp`, else is appended. */
export interface WantedLine {
  line: string;
  regexp?: RegExp;
}

/** `current` with every wanted line in place (pure; null = no file yet). */
function withLines(current: string | null, wanted: readonly WantedLine[]): string {
  const lines = current === null || current === '' ? [] : current.replace(/\n$/, '').split('\n');
  let changed = false;
  for (const w of wanted) {
    if (lines.includes(w.line)) continue;
    const at = lines.map((l) => (w.regexp ? w.regexp.test(l) : l === w.line)).lastIndexOf(true);
    if (at >= 0) lines[at] = w.line;
    else lines.push(w.line);
    changed = true;
  }
  return changed ? lines.map((l) => `${l}\n`).join('') : (current ?? '');
}

/**
 * Several lines of one file as ONE edit, planned and diffed together (several
 * lineInFile ops on one file would each plan against the file as it was).
 */
export function linesInFile(args: Ownership & { path: string; lines: readonly WantedLine[] }): Op {
  return editFile(`lines in ${args.path}`, { ...args, create: true }, (current) => withLines(current, args.lines));
}

/**
 * One line present (replacing the last line matching `regexp`, else appended)
 * or absent (every line equal to `line` or matching `regexp` removed).
 */
export function lineInFile(args: Ownership & { path: string; line: string; regexp?: RegExp; state?: 'present' | 'absent' }): Op {
  if ((args.state ?? 'present') === 'present') return { ...linesInFile({ ...args, lines: [args] }), label: `line in ${args.path}` };
  const matches = (l: string) => (args.regexp ? args.regexp.test(l) : l === args.line);
  return editFile(`line in ${args.path}`, { ...args, create: false }, (current) => {
    const lines = current === null || current === '' ? [] : current.replace(/\n$/, '').split('\n');
    const kept = lines.filter((l) => !matches(l) && l !== args.line);
    return kept.length === lines.length ? (current ?? '') : kept.map((l) => `${l}\n`).join('');
  });
}

/** A block of lines between marker comments, inserted at the end or replaced in place. */
export function blockInFile(
  args: Ownership & { path: string; block: string; marker?: string; state?: 'present' | 'absent' },
): Op {
  const marker = args.marker ?? '# {mark} LABWRIGHT MANAGED BLOCK';
  const begin = marker.replace('{mark}', 'BEGIN');
  const end = marker.replace('{mark}', 'END');
  const state = args.state ?? 'present';
  return editFile(`block in ${args.path}`, { ...args, create: state === 'present' }, (current) => {
    const text = current ?? '';
    const start = text.indexOf(`${begin}\n`);
    const stop = start >= 0 ? text.indexOf(`${end}\n`, start) : -1;
    const without = start >= 0 && stop >= 0 ? text.slice(0, start) + text.slice(stop + end.length + 1) : text;
    if (state === 'absent') return start >= 0 && stop >= 0 ? without : text;
    const body = args.block.endsWith('\n') ? args.block : `${args.block}\n`;
    const wrapped = `${begin}\n${body}${end}\n`;
    if (start >= 0 && stop >= 0) return text.slice(0, start) + wrapped + text.slice(stop + end.length + 1);
    const sep = text === '' || text.endsWith('\n') ? '' : '\n';
    return text + sep + wrapped;
  });
}

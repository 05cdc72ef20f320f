import { MASK, Secret } from '../secret.js';

/**
 * A shell command built only through the `sh` tagged template. `text` is what
 * runs; `shown` is what humans see (secrets masked).
 */
export class Command {
  constructor(
    readonly text: string,
    readonly shown: string,
  ) {}
  toString(): string {
    return this.shown;
  }
}

export type ShellValue = string | number | bigint | Secret | Command | readonly ShellValue[];

/** POSIX single-quote a string so that sh treats it as one literal word. */
export function quote(s: string): string {
  if (s === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function render(v: ShellValue): { text: string; shown: string } {
  if (v instanceof Command) return { text: v.text, shown: v.shown };
  if (v instanceof Secret) return { text: quote(v.reveal()), shown: MASK };
  if (Array.isArray(v)) {
    const parts = v.map(render);
    return { text: parts.map((p) => p.text).join(' '), shown: parts.map((p) => p.shown).join(' ') };
  }
  if (typeof v === 'number' || typeof v === 'bigint') return { text: String(v), shown: String(v) };
  if (typeof v === 'string') return { text: quote(v), shown: quote(v) };
  throw new TypeError(`sh: cannot interpolate ${typeof v}`);
}

/**
 * The one way to build a remote command: every interpolated value is quoted
 * (arrays become several quoted words; a nested `sh` command is kept as is).
 *
 *   sh`install -m ${mode} ${src} ${dest}`
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): Command {
  let text = strings[0];
  let shown = strings[0];
  values.forEach((v, i) => {
    const r = render(v);
    text += r.text + strings[i + 1];
    shown += r.shown + strings[i + 1];
  });
  return new Command(text, shown);
}

/** Join commands with a separator such as `' && '` or `'\n'`. */
export function joinCommands(cmds: readonly Command[], sep: string): Command {
  return new Command(cmds.map((c) => c.text).join(sep), cmds.map((c) => c.shown).join(sep));
}

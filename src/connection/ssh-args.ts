/**
 * OpenSSH command-line options as inventories carry them in
 * `ansible_ssh_common_args` / `ansible_ssh_extra_args` (and inside a
 * ProxyCommand): split like a POSIX shell (Ansible uses shlex.split), then read
 * as ssh(1) reads its argv.
 */

/** The ssh_config keywords labwright honours, lowercase as OpenSSH compares them. */
export const REACH_KEYWORDS = ['hostname', 'user', 'port', 'identityfile', 'identitiesonly', 'proxyjump', 'proxycommand'] as const;
export type ReachKeyword = (typeof REACH_KEYWORDS)[number];

/** One `Keyword value` setting, in the order given (OpenSSH: the first value obtained wins). */
export interface SshOption {
  readonly keyword: ReachKeyword;
  readonly value: string;
}

export interface SshArgs {
  /** `-F file` (the last one given, as ssh). */
  readonly configFile?: string;
  /** `-W host:port`: forward standard input and output to it. */
  readonly forward?: string;
  readonly options: readonly SshOption[];
  /** Words after the options (a ProxyCommand's destination and remote command). */
  readonly rest: readonly string[];
}

/** ssh(1) flags that take an argument (getopt string of OpenSSH 9). */
const WITH_ARGUMENT = new Set('BbcDEeFIiJLlmOoPpQRSWw');
const FLAG_KEYWORD: Record<string, ReachKeyword> = { J: 'proxyjump', i: 'identityfile', p: 'port', l: 'user' };

/** Words of `text` as a POSIX shell splits them: quotes and backslashes, no expansion. Throws on an unclosed quote. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error('unclosed single quote');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; ; i++) {
        if (i >= text.length) throw new Error('unclosed double quote');
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\' && '"\\$`'.includes(text[i + 1] ?? '')) word += text[++i];
        else word += d;
      }
    } else if (c === '\\') {
      word = (word ?? '') + (text[++i] ?? '');
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * Reads ssh's argv (without the program name). Options other than the
 * keywords labwright honours are skipped (ssh would honour them; labwright
 * has its own client). Throws Error naming what is malformed.
 */
export function parseSshArgv(argv: readonly string[], { stopAtDestination = false } = {}): SshArgs {
  const options: SshOption[] = [];
  let configFile: string | undefined;
  let forward: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      if (stopAtDestination) break;
      continue;
    }
    // bundled flags: -qA, -p2222, -oUser=x
    for (let j = 1; j < word.length; j++) {
      const flag = word[j]!;
      if (!WITH_ARGUMENT.has(flag)) continue;
      const inline = word.slice(j + 1);
      const value = inline !== '' ? inline : argv[++i];
      if (value === undefined) throw new Error(`ssh option -${flag} needs a value`);
      if (flag === 'o') {
        const option = configLine(value);
        if (option) options.push(option);
      } else if (flag === 'F') {
        configFile = value;
      } else if (flag === 'W') {
        forward = value;
      } else if (FLAG_KEYWORD[flag]) {
        options.push({ keyword: FLAG_KEYWORD[flag], value });
      }
      break;
    }
  }
  return { configFile, forward, options, rest: argv.slice(i) };
}

/** `Keyword=value` / `Keyword value` (an `-o` argument or an ssh_config line), if it is one labwright honours. */
export function configLine(text: string): SshOption | undefined {
  const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*?)\s*$/s.exec(text);
  if (!m) throw new Error(`"${text}" is not an ssh option (expected Keyword=value)`);
  const keyword = m[1]!.toLowerCase();
  if (!(REACH_KEYWORDS as readonly string[]).includes(keyword)) return undefined;
  const raw = m[2]!;
  // ProxyCommand is the rest of the line, as written; other values are one word
  const value = keyword === 'proxycommand' ? raw : (shellWords(raw)[0] ?? '');
  return { keyword: keyword as ReachKeyword, value };
}

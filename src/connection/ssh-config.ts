/**
 * The reach settings of one host in an OpenSSH client configuration
 * (ssh_config(5)): parsed with the `ssh-config` package; matching is done
 * here, as OpenSSH does it: sections apply in file order, the first value
 * obtained for a keyword wins (IdentityFile accumulates), `Host` patterns with
 * `*`, `?` (exactly one character) and `!` negation, `Include` read in place.
 * (The package's own compute() is not used: it lets `?` match no character,
 * runs `Match exec` commands and nslookup by default.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import SSHConfig, { LineType, type Directive, type Line, type Match } from 'ssh-config';
import { REACH_KEYWORDS, type ReachKeyword } from './ssh-args.js';

/** A value from a config file and where it was set, for messages: "/root/.ssh/config (Host gw*)". */
export interface ConfigValue {
  readonly value: string;
  readonly where: string;
}

export interface HostConfig {
  /** The first value of each keyword (IdentityFile: every value, in order). */
  readonly values: ReadonlyMap<Exclude<ReachKeyword, 'identityfile'>, ConfigValue>;
  readonly identityFiles: readonly ConfigValue[];
}

const PROXY = new Set(['proxyjump', 'proxycommand']);

/** OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;

export function defaultSshConfigFile(): string {
  return path.join(homedir(), '.ssh', 'config');
}

/** Reads config files once per resolution (a file that does not exist is an empty config, as for ssh). */
export class SshConfigFiles {
  readonly #parsed = new Map<string, SSHConfig>();

  parsed(file: string): SSHConfig {
    let config = this.#parsed.get(file);
    if (!config) {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ssh config ${file}: ${(err as Error).message}`);
      }
      try {
        config = SSHConfig.parse(text);
      } catch (err) {
        throw new Error(`cannot parse ssh config ${file}: ${(err as Error).message}`);
      }
      this.#parsed.set(file, config);
    }
    return config;
  }

  /** The settings `file` gives the host named `host` on the command line (ssh's destination). */
  lookup(file: string, host: string): HostConfig {
    const values = new Map<Exclude<ReachKeyword, 'identityfile'>, ConfigValue>();
    const identityFiles: ConfigValue[] = [];
    const apply = (line: Directive, where: string, depth: number) => {
      const keyword = line.param.toLowerCase();
      if (keyword === 'include') {
        for (const included of includedFiles(valueWords(line))) walk(this.parsed(included), included, depth + 1);
        return;
      }
      if (!(REACH_KEYWORDS as readonly string[]).includes(keyword)) return;
      const value = { value: keyword === 'proxycommand' ? commandText(line) : (valueWords(line)[0] ?? ''), where };
      if (keyword === 'identityfile') identityFiles.push(value);
      // ProxyJump and ProxyCommand exclude each other: the first of either wins
      else if (PROXY.has(keyword) ? !values.has('proxyjump') && !values.has('proxycommand') : !values.has(keyword as never)) {
        values.set(keyword as Exclude<ReachKeyword, 'identityfile'>, value);
      }
    };
    const walk = (lines: readonly Line[], name: string, depth: number) => {
      if (depth > MAX_INCLUDE_DEPTH) throw new Error(`ssh config ${name}: Include nested deeper than ${MAX_INCLUDE_DEPTH} (a loop?)`);
      for (const line of lines) {
        if (line.type !== LineType.DIRECTIVE) continue;
        const section = /^(host|match)$/i.test(line.param) && 'config' in line ? line : undefined;
        if (!section) {
          apply(line, name, depth);
        } else if (sectionApplies(section, host)) {
          for (const inner of section.config) {
            if (inner.type === LineType.DIRECTIVE) apply(inner, `${name} (${section.param} ${valueWords(section).join(' ')})`, depth);
          }
        }
      }
    };
    walk(this.parsed(file), file, 0);
    return { values, identityFiles };
  }
}

function valueWords(line: Directive): string[] {
  return typeof line.value === 'string' ? [line.value] : line.value.map(({ val }) => val);
}

/** A ProxyCommand as written (it is given to a shell). */
function commandText(line: Directive): string {
  if (typeof line.value === 'string') return line.value;
  return line.value
    .map(({ val, separator, quoted }) => `${separator}${quoted ? `"${val.replace(/(["\\$`])/g, '\\$1')}"` : val}`)
    .join('')
    .trim();
}

/**
 * `Host` applies when a pattern matches and no negated one does. `Match`
 * applies for `all`, `host` and `originalhost` criteria; a `Match` with other
 * criteria (exec, user, localnetwork…) is not evaluated and does not apply.
 */
function sectionApplies(section: Directive & { config: unknown }, host: string): boolean {
  if (section.param.toLowerCase() === 'host') return patternListMatches(valueWords(section), host);
  const criteria = Object.entries((section as Match).criteria).map(([key, value]) => [
    key.toLowerCase(),
    typeof value === 'string' ? value : value.map(({ val }) => val).join(','),
  ]);
  return criteria.every(([key, value]) =>
    key === 'all' ? true : key === 'host' || key === 'originalhost' ? patternListMatches(value!.split(','), host) : false,
  );
}

/** ssh_config PATTERNS: a negated pattern that matches vetoes the whole list. */
export function patternListMatches(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (patternMatches(pattern.slice(1), host)) return false;
    } else if (patternMatches(pattern, host)) {
      matched = true;
    }
  }
  return matched;
}

/** `*`: any run of characters, `?`: exactly one; host names compare without regard to case. */
export function patternMatches(pattern: string, text: string): boolean {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'is').test(text);
}

/** Include paths: `~` expanded, relative ones in ~/.ssh, `*` and `?` in the last part. Sorted like glob(3). */
function includedFiles(patterns: readonly string[]): string[] {
  return patterns.flatMap((pattern) => {
    const expanded = pattern === '~' || pattern.startsWith('~/') ? path.join(homedir(), pattern.slice(1)) : pattern;
    const full = path.resolve(path.join(homedir(), '.ssh'), expanded);
    const base = path.basename(full);
    if (!/[*?]/.test(base)) return [full];
    const dir = path.dirname(full);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .filter((name) => !name.startsWith('.') && patternMatches(base, name))
      .sort()
      .map((name) => path.join(dir, name));
  });
}

import type { ExecResult } from '../connection/types.js';
import type { Command } from '../shell/quote.js';

/**
 * A fact is a read-only command and a parser of its output. Facts are cached
 * per host; the cache key is `id`. Facts never change the host.
 */
export interface Fact<T> {
  readonly id: string;
  readonly command: Command;
  /**
   * What the command reads on its standard input (else /dev/null): content
   * (rulesets, objects) that would break the command line past 128 KiB
   * (MAX_ARG_STRLEN) or show in `ps`.
   */
  readonly stdin?: string;
  parse(result: Pick<ExecResult, 'stdout' | 'code'>): T;
}

/**
 * Declares a parameterised fact: `defineFact('file', (path: string) => ({ command, parse }))`
 * gives a function `(path) => Fact<T>` whose id is the name plus its arguments.
 */
export function defineFact<A extends unknown[], T>(
  name: string,
  build: (...args: A) => { command: Command; stdin?: string; parse(result: Pick<ExecResult, 'stdout' | 'code'>): T },
): (...args: A) => Fact<T> {
  return (...args: A) => {
    const { command, stdin, parse } = build(...args);
    return { id: `${name}(${JSON.stringify(args)})`, command, ...(stdin === undefined ? {} : { stdin }), parse };
  };
}

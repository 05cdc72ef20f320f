import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../connection/local.js';
import { useSshd } from '../connection/test-sshd.js';
import type { Connection } from '../connection/types.js';
import { quote, sh } from './quote.js';

let dir: string;
let canary: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labwright-quote-'));
  await chmod(dir, 0o777); // whichever user the commands run as could create the canary
  canary = join(dir, 'canary');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Strings that break naive quoting; CANARY stands for a file they try to create. */
const HOSTILE = [
  '',
  ' ',
  "'",
  '"',
  "''",
  `'"'"'`,
  '\\',
  "\\'",
  '$(touch CANARY)',
  '`touch CANARY`',
  '; touch CANARY',
  '&& touch CANARY',
  '|| touch CANARY',
  '| touch CANARY',
  '& touch CANARY',
  '\ntouch CANARY\n',
  "'; touch CANARY; '",
  '"; touch CANARY; "',
  "'$(touch CANARY)'",
  '"$(touch CANARY)"',
  '> CANARY',
  '<(touch CANARY)',
  '$HOME ${HOME} $((6*7)) $1 $@ $$',
  "$'\\x41'",
  '*',
  '/*',
  '?',
  '[a-z]*',
  '{a,b}',
  '~',
  '~root',
  '-n',
  '-e',
  '--',
  '-',
  '!',
  '!!',
  '#not a comment',
  'x=1',
  '%s%d%%',
  'a\tb  c\r\n',
  'ünïcödé ✓ 日本語 🚀 a\u00a0b',
];

const TOKENS = [...HOSTILE.filter((s) => s !== ''), 'a', 'Z', '0', ' ', '\u00e9', '\u{1F600}', '\u2028', '\x01', '\x7f'];

/** A deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzStrings(count: number, seed: number): string[] {
  const next = random(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: Math.floor(next() * 12) }, () => TOKENS[Math.floor(next() * TOKENS.length)]).join(''),
  );
}

async function expectPrintedVerbatim(connection: Connection, values: string[]): Promise<void> {
  // Control: this user can create the canary, so its absence below means something.
  await connection.exec(sh`touch ${canary}`);
  expect(existsSync(canary)).toBe(true);
  await rm(canary);
  const withCanary = values.map((v) => v.replaceAll('CANARY', canary));
  const results = await Promise.all(withCanary.map((v) => connection.exec(sh`printf %s ${v}`)));
  results.forEach((result, i) => {
    expect({ value: withCanary[i], ...result }).toEqual({ value: withCanary[i], stdout: withCanary[i], stderr: '', code: 0 });
    expect(Buffer.from(result.stdout)).toEqual(Buffer.from(withCanary[i]));
  });
  expect(existsSync(canary)).toBe(false);
}

describe('quote', () => {
  it('leaves safe words bare and quotes everything else', () => {
    expect(quote('/etc/ssh/sshd_config')).toBe('/etc/ssh/sshd_config');
    expect(quote('')).toBe("''");
    expect(quote('a b')).toBe("'a b'");
    expect(quote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('sh quoting survives a real shell', () => {
  describe('locally (/bin/sh)', () => {
    const local = new LocalConnection('localhost', { become: false });

    it('prints hostile strings verbatim and runs none of them', () => expectPrintedVerbatim(local, HOSTILE));

    it('prints fuzzed strings verbatim and runs none of them', () => expectPrintedVerbatim(local, fuzzStrings(200, 1)));
  });

  for (const loginShell of ['/bin/sh', '/bin/bash']) {
    describe(`over ssh (login shell ${loginShell})`, () => {
      const server = useSshd({ loginShell });

      it('prints hostile strings verbatim and runs none of them', () => expectPrintedVerbatim(server.connect(), HOSTILE));

      it('prints fuzzed strings verbatim and runs none of them', () =>
        expectPrintedVerbatim(server.connect(), fuzzStrings(200, 2)));

      it('also through sudo -n (become)', () =>
        expectPrintedVerbatim(server.connect({ become: true, becomeUser: 'nobody' }), HOSTILE));
    });
  }
});

import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../connection/local.js';
import type { Connection, ExecOptions, ExecResult } from '../connection/types.js';
import { nftReplaceTablePrelude } from '../net/nft.js';
import { kubectlDiff, kubectlLive, objectYaml, type K8sObject } from '../ops/kubectl.js';
import { nftAccepts } from '../ops/nft-table.js';
import { secret } from '../secret.js';
import type { Command } from '../shell/quote.js';
import { STANDIN_SCRIPT } from '../../test/standins/kubectl/index.js';
import { gatherFacts } from './batch.js';
import { fileInfo } from './builtin.js';

/** Linux refuses one argument longer than this (MAX_ARG_STRLEN): `sh -c SCRIPT` fails with E2BIG past it. */
const MAX_ARG_STRLEN = 128 * 1024;

/** A ruleset of about 200 KiB: the prelude, many rules, and a last line a truncated copy would miss. */
function bigRuleset(): string {
  const rules = Array.from({ length: 4000 }, (_, i) => `    ip saddr 10.${(i >> 8) & 255}.${i & 255}.0/24 counter accept comment "rule number ${i}"`);
  return `${nftReplaceTablePrelude('inet', 'labwright')}table inet labwright {\n  chain input {\n${rules.join('\n')}\n  }\n}\n# end of rules\n`;
}

/** A recording connection: keeps each command and its stdin, answers every fact with exit 0 and no output. */
class RecordingConnection implements Connection {
  readonly host = 'rec';
  readonly roundTrips = 0;
  readonly calls: { cmd: Command; opts?: ExecOptions }[] = [];
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async exec(cmd: Command, opts?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ cmd, opts });
    // echo every marker line the batch script prints, as a host would
    const markers = [...cmd.text.matchAll(/printf '\\n%s %s %s\\n' (\S+) (\d+) "\$\?"/g)].map((m) => `\n${m[1]} ${m[2]} 0\n`);
    return { stdout: markers.join(''), stderr: '', code: 0 };
  }
}

describe('facts with input: on stdin, never on the command line', () => {
  let dir: string;
  let savedPath: string | undefined;
  beforeAll(() => {
    // FAKE nft and kubectl first on PATH (the controller may have neither): nft records the ruleset it read on stdin
    dir = mkdtempSync(join(tmpdir(), 'lw-fact-stdin-'));
    writeFileSync(
      join(dir, 'nft'),
      `#!/bin/sh\n[ "$*" = "-c -f -" ] || { echo "fake nft: unexpected arguments $*"; exit 2; }\ncat > ${dir}/nft-input\ntail -n 1 ${dir}/nft-input | grep -qx '# end of rules' || { echo "fake nft: truncated ruleset"; exit 1; }\n`,
    );
    writeFileSync(join(dir, 'kubectl'), `#!/bin/sh\nexec python3 ${fileURLToPath(STANDIN_SCRIPT)} "$@"\n`);
    chmodSync(join(dir, 'nft'), 0o755);
    chmodSync(join(dir, 'kubectl'), 0o755);
    writeFileSync(join(dir, 'admin.conf'), '# FAKE kubeconfig for the kubectl stand-in\n');
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${process.env.PATH}`;
    process.env.KUBECTL_STANDIN_STORE = join(dir, 'store');
    process.env.KUBECTL_STANDIN_LOG = join(dir, 'log');
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    delete process.env.KUBECTL_STANDIN_STORE;
    delete process.env.KUBECTL_STANDIN_LOG;
  });

  it('a ruleset over 128 KiB is checked with nft -c over a local connection (it broke the command line before)', async () => {
    const rules = bigRuleset();
    expect(rules.length).toBeGreaterThan(MAX_ARG_STRLEN);
    const check = nftAccepts(rules);
    const got = await gatherFacts(new LocalConnection('localhost', { become: false }), [fileInfo('/nonexistent/lw'), check], false);
    expect(got.get(check.id)).toEqual({ accepted: true, output: '(nft -c exited 0 without a message)' });
    expect(readFileSync(join(dir, 'nft-input'), 'utf8')).toBe(rules);
  });

  it('several inputs in one batch: each fact reads exactly its own (a 200 KiB object for kubectl diff and get)', async () => {
    const object: K8sObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big', namespace: 'default' },
      spec: { data: 'x'.repeat(200 * 1024) },
    };
    const yaml = objectYaml(object);
    const kc = join(dir, 'admin.conf');
    const rules = bigRuleset();
    const facts = [kubectlDiff(kc, { yaml }), nftAccepts(rules), kubectlLive(kc, yaml)] as const;
    const got = await gatherFacts(new LocalConnection('localhost', { become: false }), facts, false);
    // the stand-in diffs a new object with exit 1 and names it; get finds nothing yet
    expect(got.get(facts[0].id)).toMatchObject({ code: 1 });
    expect((got.get(facts[0].id) as { output: string }).output).toContain('v1.ConfigMap.default.big');
    expect(got.get(facts[1].id)).toMatchObject({ accepted: true });
    expect(readFileSync(join(dir, 'nft-input'), 'utf8')).toBe(rules);
    expect(got.get(facts[2].id)).toBe('');
  });

  it('the command text the host receives holds neither the content nor a secret in it; stdin does', async () => {
    const token = secret('abcdef.0123456789abcdef');
    const yaml = objectYaml({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'join' }, stringData: { token: token.reveal() } });
    const conn = new RecordingConnection();
    const facts = [kubectlDiff('/etc/kubernetes/admin.conf', { yaml }), kubectlLive('/etc/kubernetes/admin.conf', yaml), nftAccepts(bigRuleset())];
    await gatherFacts(conn, facts, true);
    expect(conn.calls).toHaveLength(1);
    const [{ cmd, opts }] = conn.calls;
    for (const text of [cmd.text, cmd.shown]) {
      expect(text).not.toContain(token.reveal());
      expect(text).not.toContain('rule number');
      expect(text.length).toBeLessThan(4096);
    }
    expect(String(opts?.stdin)).toContain(token.reveal());
    expect(opts?.become).toBe(true);
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../connection/index.js';
import { HostRun } from '../engine/host-run.js';
import { executeOps } from '../engine/execute.js';
import { sh } from '../shell/quote.js';
import { fixtureHost } from '../../test/support/fixture-context.js';
import { absent, apt, blockInFile, command, directory, file, kernelModule, lineInFile, service, sysctl, template, user, type Op } from './index.js';

/**
 * Every built-in operation (its facts, plan and apply) fed hostile strings
 * through the real engine on the controller: no string may run as code.
 * Each hostile string tries to create the canary file.
 */
let dir: string;
let canary: string;
let hostile: string[];
let templateFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-inject-'));
  canary = join(dir, 'PWNED');
  const repoDir = process.cwd();
  process.chdir(mkdtempSync(join(tmpdir(), 'lw-inject-cwd-')));
  return () => process.chdir(repoDir);
});

beforeAll(() => {
  templateFile = join(mkdtempSync(join(tmpdir(), 'lw-inject-tpl-')), 'value.hbs');
  writeFileSync(templateFile, 'value={{v}}\n');
  hostile = [
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `x'; touch ${canary}; echo '`,
    `x"; touch ${canary}; echo "`,
    `x\ntouch ${canary}\n`,
    `x && touch ${canary}`,
    `x | touch ${canary}`,
    `x; touch ${canary}`,
    `-rf ${canary}`,
    `* ? [a] ~ {a,b} \\ # % !`,
    `ünïcødé ☃`,
  ];
});

const localHost = { ...fixtureHost, name: 'controller', connection: { ...fixtureHost.connection, kind: 'local' as const, become: false } };

async function runOp(op: Op): Promise<void> {
  const run = new HostRun(localHost, (h) => connect(h.name, h.connection));
  await executeOps(run, [op], false).catch(() => undefined); // failing is fine; running code is not
  await executeOps(run, [op], true).catch(() => undefined);
  await run.conn.close();
}

describe('no injection through any operation', () => {
  const cases: [string, (s: string, i: number) => Op][] = [
    ['file (path, content, validate)', (s, i) => file({ path: join(dir, `f${i}-${s.replace(/\//g, '_')}`), content: s, mode: '0640', validate: (t) => sh`test -f ${t}` })],
    ['template (data)', (s, i) => template({ path: join(dir, `t${i}`), src: templateFile, data: { v: s } })],
    ['directory', (s, i) => directory({ path: join(dir, `d${i}-${s.replace(/\//g, '_')}`), mode: '0750' })],
    ['lineInFile', (s, i) => lineInFile({ path: join(dir, `l${i}`), line: s })],
    ['blockInFile', (s, i) => blockInFile({ path: join(dir, `b${i}`), block: s, marker: `# {mark} ${s.replace(/\n/g, ' ')}` })],
    ['absent', (s) => absent({ path: join(dir, s.replace(/\//g, '_')) })],
    ['command guards', (s) => command({ run: sh`printf %s ${s}`, creates: join(dir, s.replace(/\//g, '_')), unless: sh`test -e ${s}` })],
    ['apt', (s) => apt({ packages: [s] })],
    ['service', (s) => service({ name: s, state: 'started', enabled: true })],
    ['sysctl', (s) => sysctl({ name: `net.${s}`, value: s, file: join(dir, 'sysctl.conf') })],
    ['kernelModule', (s) => kernelModule({ name: s, file: join(dir, 'modules.conf') })],
    ['user', (s) => user({ name: s, shell: s })],
  ];

  it.each(cases)('%s', async (_name, build) => {
    for (const [i, s] of hostile.entries()) {
      let op: Op;
      try {
        op = build(s, i);
      } catch {
        continue; // refused before anything ran (e.g. not a Debian package name)
      }
      await runOp(op);
    }
    expect(existsSync(canary)).toBe(false);
    // a broken quote would also show up as stray files where the commands ran
    expect(readdirSync(process.cwd())).toEqual([]);
  }, 120_000);

  it('wrote hostile content and paths byte for byte', () => {
    for (const [i, s] of hostile.entries()) {
      const name = `f${i}-${s.replace(/\//g, '_')}`;
      expect(readdirSync(dir)).toContain(name);
      expect(readFileSync(join(dir, name), 'utf8')).toBe(s);
    }
  });
});

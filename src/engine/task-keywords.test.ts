import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { captureIo } from '../../test/support/io.js';
import { main } from '../cli/main.js';
import { pathExists } from '../facts/builtin.js';
import { loadInventory } from '../inventory/index.js';
import { command, file } from '../ops/index.js';
import { change, type Op } from '../ops/op.js';
import { sh } from '../shell/quote.js';
import { defineRole, play, type PlayDef, type TaskResult } from './definitions.js';
import type { HostResult, RunEvent } from './events.js';
import { runPlays } from './runner.js';
import { connect } from '../connection/index.js';

/**
 * Ansible's task keywords and play options on local hosts (ansible_connection:
 * local) through the CLI entry: ignoreErrors, changedWhen, failedWhen, until,
 * register, runOnce, delegateTo, whenFacts, block/rescue/always, listen, a
 * play's forks, --start-at-task, --step, --timeout.
 */
let dir: string;
let inventory: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-keywords-'));
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `all:
  vars:
    ansible_connection: local
  children:
    servers:
      hosts:
        h1: { labwright_state_dir: ${dir}/state1 }
        h2: { labwright_state_dir: ${dir}/state2 }
`,
  );
});

const at = (name: string) => join(dir, name);
const read = (name: string) => (existsSync(at(name)) ? readFileSync(at(name), 'utf8') : '');
const lines = (name: string) => read(name).split('\n').filter(Boolean);
/** Appends `text` to file `name` of the test's folder. */
const log = (name: string, text: string) => command({ run: sh`echo ${text} >> ${at(name)}` });

async function run(plays: PlayDef[], ...argv: string[]) {
  const io = captureIo();
  const code = await main(plays, ['-i', inventory, ...argv], io);
  return { code, out: io.stdout, err: io.stderr };
}

const noVars = z.object({});
type Kit = Parameters<Parameters<typeof defineRole<typeof noVars>>[0]['tasks']>[0];
const roleOf = (name: string, tasks: (kit: Kit) => ReturnType<Parameters<typeof defineRole<typeof noVars>>[0]['tasks']>, handlers?: Parameters<typeof defineRole<typeof noVars>>[0]['handlers']) =>
  defineRole({ name, vars: noVars, tasks, handlers });
const playOf = (role: ReturnType<typeof roleOf>, extra: Partial<PlayDef> = {}) => [play({ name: role.name, hosts: 'servers', roles: [role], ...extra })];

describe('task keywords', () => {
  it('ignoreErrors: the failure is shown with "...ignoring", counted as ignored, and the host goes on (exit 0)', async () => {
    const role = roleOf('ign', ({ task }) => [
      task('fails', () => command({ run: sh`echo broken >&2; exit 4` }), { ignoreErrors: true }),
      task('after', ({ host }) => log('after', host.name)),
    ]);
    const { code, out } = await run(playOf(role));
    expect(code).toBe(0);
    expect(out).toMatch(/failed: \[h1\][^]*stderr: broken\n    \.\.\.ignoring/);
    expect(lines('after').sort()).toEqual(['h1', 'h2']);
    expect(out).toMatch(/h1\s+: ok=0\s+changed=1\s+unreachable=0\s+failed=0\s+skipped=0\s+rescued=0\s+ignored=1/);
  });

  it('changedWhen false: ok, and its handler is not notified; true: changed', async () => {
    const role = roleOf(
      'chg',
      ({ task }) => [
        task('probe', () => command({ run: sh`echo same` }), { changedWhen: (r) => r.stdout !== 'same\n', notify: ['react'] }),
        task('mark', () => command({ run: sh`true` }), { changedWhen: (r) => r.exitCode === 0 }),
      ],
      ({ handler }) => [handler('react', ({ host }) => log('handler', host.name))],
    );
    const { code, out } = await run(playOf(role));
    expect(code).toBe(0);
    expect(read('handler')).toBe('');
    expect(out).toMatch(/TASK \[chg : probe\][^]*ok: \[h1\] changed_when is false\nok: \[h2\] changed_when is false/);
    expect(out).toMatch(/h1\s+: ok=1\s+changed=1\s/);
  });

  it('failedWhen decides from the output, not the exit code', async () => {
    const role = roleOf('fw', ({ task }) => [
      task('grep finds nothing (exit 1) but that is fine', () => command({ run: sh`grep -q nothing /dev/null` }), {
        failedWhen: (r) => r.exitCode !== 0 && r.exitCode !== 1,
      }),
      task('exit 0 with ERROR in stdout fails', () => command({ run: sh`echo ERROR: disk` }), { failedWhen: (r) => (r.stdout ?? '').includes('ERROR') }),
    ]);
    const { code, out } = await run(playOf(role));
    expect(code).toBe(2);
    expect(out).toMatch(/TASK \[fw : grep finds nothing[^\n]*\n(changed|ok): \[h1, h2\]/);
    expect(out).toMatch(/failed: \[h1\]\n    - run: echo ERROR: disk\n    task: fw : exit 0 with ERROR in stdout fails\n    failed_when is true\n    exit code: 0/);
  });

  it('until: runs again, re-planned, until the predicate holds; gives up after retries', async () => {
    const counter = at('count');
    const role = roleOf('until', ({ task }) => [
      task('count to 3', () => command({ run: sh`n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; cat ${counter}` }), {
        until: (r) => Number(r.stdout) >= 3,
        retries: 5,
        delayMs: 10,
        runOnce: true,
      }),
      task('never', () => command({ run: sh`echo 0` }), { until: (r) => r.stdout === 'x', retries: 2, delayMs: 10 }),
    ]);
    const { code, out } = await run(playOf(role));
    expect(read('count').trim()).toBe('3');
    expect(code).toBe(2);
    expect(out).toMatch(/failed: \[h1\]\n    - run: echo 0\n    task: until : never\n    until is still false after 3 attempts/);
  });

  it('register: a later task builds from the result (stdout, parsed JSON, changed)', async () => {
    const role = roleOf('reg', ({ task }) => [
      task('ask', ({ host }) => command({ run: sh`printf '{"name": "%s", "n": 2}' ${host.name}` }), { register: 'answer' }),
      task('use', ({ host, registered }) => {
        const answer = registered?.get('answer') as TaskResult;
        const json = answer.json<{ name: string; n: number }>()!;
        return file({ path: at(`${host.name}.txt`), content: `${json.name} ${json.n * 2} ${answer.changed}\n` });
      }),
    ]);
    expect((await run(playOf(role))).code).toBe(0);
    expect(read('h1.txt')).toBe('h1 4 true\n');
    expect(read('h2.txt')).toBe('h2 4 true\n');
  });

  it('runOnce: one host runs it, every host of the batch gets its result', async () => {
    const role = roleOf('once', ({ task }) => [
      task('token', ({ host }) => command({ run: sh`echo ${host.name} >> ${at('ran')}; echo token-from-${host.name}` }), { runOnce: true, register: 'token' }),
      task('use', ({ host, registered }) => file({ path: at(`${host.name}.token`), content: registered!.get('token')!.stdout! })),
    ]);
    const { code, out } = await run(playOf(role));
    expect(code).toBe(0);
    expect(lines('ran')).toEqual(['h1']);
    expect(read('h1.token')).toBe('token-from-h1\n');
    expect(read('h2.token')).toBe('token-from-h1\n');
    expect(out).toMatch(/TASK \[once : token\][^\n]*\nchanged: \[h1\]\n/);
  });

  it('delegateTo: the ops run on the other host, with the task host\'s vars', async () => {
    const whereRan = (label: string): Op => ({
      label,
      facts: [],
      plan: async () => change({ summary: label }, async (c) => writeFileSync(at(`${label}.where`), c.host.name)),
    });
    const role = roleOf('dlg', ({ task }) => [task('on h2', ({ host }) => whereRan(`from-${host.name}`), { delegateTo: 'h2' })]);
    expect((await run(playOf(role), '-l', 'h1')).code).toBe(0);
    expect(read('from-h1.where')).toBe('h2');
    const missing = roleOf('dlg2', ({ task }) => [task('nowhere', () => whereRan('x'), { delegateTo: 'nope' })]);
    const { code, out } = await run(playOf(missing), '-l', 'h1');
    expect(code).toBe(2);
    expect(out).toContain('delegateTo: no inventory host is named "nope"');
  });

  it('whenFacts: decided from a fact read on the host', async () => {
    writeFileSync(at('flag'), '');
    const role = roleOf('wf', ({ task }) => [
      task('when the flag exists', ({ host }) => log('flagged', host.name), { whenFacts: async ({ fact }) => fact(pathExists(at('flag'))) }),
      task('when it does not', ({ host }) => log('unflagged', host.name), { whenFacts: async ({ fact }) => !(await fact(pathExists(at('flag')))) }),
    ]);
    const { code, out } = await run(playOf(role));
    expect(code).toBe(0);
    expect(lines('flagged').sort()).toEqual(['h1', 'h2']);
    expect(read('unflagged')).toBe('');
    expect(out).toContain('skipping: [h1] condition (whenFacts) is false');
  });
});

describe('block, rescue, always', () => {
  const blockRole = (failIn: 'block' | 'rescue' | 'none', withRescue = true) =>
    roleOf('blk', ({ task, block }) => [
      block(
        'guarded work',
        [
          task('step 1', ({ host }) => command({ run: failIn === 'block' && host.name === 'h1' ? sh`echo bad >&2; exit 3` : sh`true` })),
          task('step 2', ({ host }) => log('step2', host.name)),
        ],
        {
          rescue: withRescue ? [task('repair', ({ host }) => command({ run: failIn === 'rescue' ? sh`exit 5` : sh`echo ${host.name} >> ${at('rescue')}` }))] : [],
          always: [task('clean up', ({ host }) => log('always', host.name))],
        },
      ),
      task('after the block', ({ host }) => log('after', host.name)),
    ]);

  it('a failure in the block: the rest of it skipped on that host, rescue runs, always runs, the host goes on (rescued=1, exit 0)', async () => {
    const { code, out } = await run(playOf(blockRole('block')));
    expect(code).toBe(0);
    expect(lines('step2')).toEqual(['h2']);
    expect(lines('rescue')).toEqual(['h1']);
    expect(lines('always').sort()).toEqual(['h1', 'h2']);
    expect(lines('after').sort()).toEqual(['h1', 'h2']);
    expect(out).toMatch(/h1\s+: ok=0\s+changed=\d+\s+unreachable=0\s+failed=0\s+skipped=0\s+rescued=1\s+ignored=0/);
  });

  it('no rescue: always runs, then the host fails (exit 2), the other goes on', async () => {
    const { code, out } = await run(playOf(blockRole('block', false)));
    expect(code).toBe(2);
    expect(lines('always').sort()).toEqual(['h1', 'h2']);
    expect(lines('after')).toEqual(['h2']);
    expect(out).toMatch(/h1\s+: ok=0\s+changed=\d+\s+unreachable=0\s+failed=1\s+skipped=0\s+rescued=0/);
  });

  it('a rescue that fails: always runs, then the host fails', async () => {
    const role = roleOf('blk2', ({ task, block }) => [
      block('b', [task('fail', () => command({ run: sh`exit 3` }))], {
        rescue: [task('repair fails', () => command({ run: sh`exit 5` }))],
        always: [task('clean', ({ host }) => log('always', host.name))],
      }),
      task('after', ({ host }) => log('after', host.name)),
    ]);
    const { code } = await run(playOf(role));
    expect(code).toBe(2);
    expect(lines('always').sort()).toEqual(['h1', 'h2']);
    expect(read('after')).toBe('');
  });

  it('with the free strategy too', async () => {
    const { code } = await run(playOf(blockRole('block'), { strategy: 'free' }));
    expect(code).toBe(0);
    expect(lines('rescue')).toEqual(['h1']);
    expect(lines('after').sort()).toEqual(['h1', 'h2']);
  });
});

describe('handlers and plays', () => {
  it('listen: a task notifying a topic runs every handler listening to it, once, in definition order', async () => {
    const role = roleOf(
      'lst',
      ({ task }) => [
        task('config', () => file({ path: at('conf'), content: 'x\n' }), { notify: ['web config changed'] }),
        task('again', () => file({ path: at('conf2'), content: 'y\n' }), { notify: ['web config changed', 'restart cache'] }),
      ],
      ({ handler }) => [
        handler('restart web', ({ host }) => log('handlers', `${host.name} web`), { listen: ['web config changed'] }),
        handler('restart cache', ({ host }) => log('handlers', `${host.name} cache`), { listen: ['web config changed'] }),
      ],
    );
    expect((await run(playOf(role), '-l', 'h1')).code).toBe(0);
    expect(lines('handlers')).toEqual(['h1 web', 'h1 cache']);
    const unknown = roleOf('lst2', ({ task }) => [task('x', () => command({ run: sh`true` }), { notify: ['nobody listens'] })]);
    const { code, err } = await run(playOf(unknown));
    expect(code).toBe(4);
    expect(err).toContain('notifies "nobody listens", but no role in the play has a handler of that name or listening to it');
  });

  it("a play's forks: one host at a time when 1", async () => {
    const role = roleOf('frk', ({ task }) => [
      task('slow', ({ host }) => command({ run: sh`echo start ${host.name} >> ${at('order')}; sleep 0.3; echo end ${host.name} >> ${at('order')}` }), {}),
    ]);
    expect((await run(playOf(role, { forks: 1, strategy: 'free' }), '-f', '10')).code).toBe(0);
    expect(lines('order')).toEqual(['start h1', 'end h1', 'start h2', 'end h2']);
  });

  it('--start-at-task: skips the tasks before it (across plays); an unknown name is exit 4', async () => {
    const first = roleOf('one', ({ task }) => [task('a', ({ host }) => log('ran', `${host.name} a`))]);
    const second = roleOf('two', ({ task }) => [task('b', ({ host }) => log('ran', `${host.name} b`)), task('c', ({ host }) => log('ran', `${host.name} c`))]);
    const plays = [play({ name: 'p1', hosts: 'h1', roles: [first] }), play({ name: 'p2', hosts: 'h1', roles: [second] })];
    expect((await run(plays, '--start-at-task', 'two : c')).code).toBe(0);
    expect(lines('ran')).toEqual(['h1 c']);
    const { code, err } = await run(plays, '--start-at-task', 'zz');
    expect(code).toBe(4);
    expect(err).toContain('--start-at-task "zz": no task of that name');
  });

  it('--step: each task asked once; no skips it, continue runs the rest without asking', async () => {
    const role = roleOf('stp', ({ task }) => ['a', 'b', 'c', 'd'].map((n) => task(n, ({ host }) => log('ran', `${host.name} ${n}`))));
    const asked: string[] = [];
    const answers = ['yes', 'no', 'continue'] as const;
    const events: RunEvent[] = [];
    const inv = await loadInventory([inventory]);
    await runPlays(
      playOf(role),
      inv,
      { check: false, forks: 5, tags: { only: [], skip: [] }, step: async (t) => (asked.push(t), answers[asked.length - 1]!) },
      { event: (e) => void events.push(e), finish: async () => undefined },
      (host) => connect(host.name, host.connection),
    );
    expect(asked).toEqual(['stp : a', 'stp : b', 'stp : c']);
    expect(lines('ran').sort()).toEqual(['h1 a', 'h1 c', 'h1 d', 'h2 a', 'h2 c', 'h2 d']);
    expect(events.filter((e): e is HostResult => e.type === 'host:result' && e.task === 'stp : b')).toEqual([]);
  });

  it('--step without a terminal is exit 5', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = join(dir, 'pb.mts');
    writeFileSync(
      script,
      `import { main } from ${JSON.stringify(join(process.cwd(), 'src/cli/main.ts'))};\nprocess.exit(await main([], process.argv.slice(2)));\n`,
    );
    const child = spawnSync('setsid', ['-w', join(process.cwd(), 'node_modules/.bin/tsx'), script, '-i', inventory, '--step'], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(5);
    expect(child.stderr).toContain('--step: there is no terminal to ask on');
  });

  it('--timeout: the command ceiling of hosts that set none', async () => {
    const role = roleOf('tmo', ({ task }) => [task('sleeps', () => command({ run: sh`sleep 5` }))]);
    const { code, out } = await run(playOf(role), '--timeout', '1', '-l', 'h1');
    expect(code).toBe(2);
    expect(out).toMatch(/failed: \[h1\][^]*sleep 5/);
    expect((await run(playOf(role), '--timeout', '0')).code).toBe(5);
  });
});

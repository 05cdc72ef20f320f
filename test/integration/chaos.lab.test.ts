import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { play } from '../../src/engine/definitions.js';
import { startLab, type Lab, type LabHost } from '../lab/index.js';
import { captureIo } from '../support/io.js';
import { shOn, shResult } from '../support/lab-shell.js';
import { chaosService } from './chaos-role.js';

/**
 * Chaos: the controller is SIGKILLed KILLS times during a playbook apply on
 * lab hosts: a third of the kills at seeded random points, a third right after
 * the new config reached a host (between a change and its handler), a third
 * right after a host restarted with it (between a handler and its clearing).
 * After each kill a rerun converges, and on every host: the config is the
 * new one, the service restarted with it exactly once (twice only when the
 * kill fell after the restart and before it was taken off the pending list:
 * handlers run at least once, never forgotten), nothing is pending, and no
 * temp file or half-written file is left.
 */
const SEED = 20261203;
const KILLS = 12;
const plays = [play({ name: 'chaos', hosts: 'all', roles: [chaosService] })];
const extraVars = (content: string) => JSON.stringify({ chaos: { content } });
let lab: Lab;

/** mulberry32: a small seeded PRNG, so that a failing sequence of kill points can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The playbook in a process group of its own; `exited` resolves to its exit code (null when killed) and its output. */
function startController(content: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/chaos-playbook.ts', '-i', lab.inventoryPath, '-e', extraVars(content)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, output }));
  return { exited, kill: () => process.kill(-child.pid!, 'SIGKILL') };
}

/**
 * What a host looks like once the killed run's commands ended and systemd has
 * no job left. A command the controller sent just before it was killed may
 * still start (sshd reads what it received before it sees the connection
 * close: a command in flight, such as clearing a pending handler, runs after
 * the kill), so first every ssh session of the killed run must be gone, then
 * every command it started (each runs as `sh -c 'exec timeout -s KILL …'`,
 * then as `timeout`). The patterns are written so they never match the grep
 * that looks for them.
 */
async function observe(host: LabHost, content: string) {
  const out = await shOn(
    host,
    `while grep -qsaE '^sshd: [^ ]+(@notty| \\[priv\\])' /proc/[0-9]*/cmdline; do sleep 0.1; done
while grep -qsaE '^timeout|exec [t]imeout' /proc/[0-9]*/cmdline; do sleep 0.1; done
while [ -n "$(systemctl list-jobs --no-legend)" ]; do sleep 0.1; done
cat /etc/lw-chaos/app.conf 2>/dev/null; echo ---
cat /var/lib/labwright/pending-handlers 2>/dev/null; echo ---
grep -cx 'start value=${content}' /var/log/lw-chaos-starts 2>/dev/null; echo ---
tail -n 1 /var/log/lw-chaos-starts; echo ---
find /etc/lw-chaos /etc/systemd/system /var/lib/labwright \\( -name '*lwtmp*' -o -name '*.tmp.*' \\) 2>/dev/null; echo ---
systemctl is-active lw-chaos || true`,
  );
  const [conf, pending, starts, lastStart, temps, active] = out.split('---\n').map((s) => s.trim());
  return { conf, pending: pending.split('\n').filter(Boolean), starts: Number(starts), lastStart, temps, active };
}

beforeAll(async () => {
  lab = await startLab({ name: 'chaos', hosts: ['h1', 'h2'].map((name) => ({ name, groups: ['servers'] })) });
}, 180_000);

afterAll(async () => {
  await lab?.stop();
});

describe('controller killed anywhere in an apply', () => {
  it(`${KILLS} SIGKILLs (seed ${SEED}): each rerun converges, every changed host restarts with its new config exactly once, nothing half-written`, { timeout: 480_000 }, async () => {
    // a first apply to completion: the service runs, and the duration of a run tells where kills may fall
    const startedAt = Date.now();
    const first = await startController('v0').exited;
    expect(first.code, first.output).toBe(0);
    const runMs = Date.now() - startedAt;
    for (const seen of await Promise.all(lab.hosts.map((h) => observe(h, 'v0')))) expect(seen).toMatchObject({ conf: 'value=v0', pending: [], active: 'active' });

    const random = seeded(SEED);
    const phases: string[] = [];
    for (let i = 1; i <= KILLS; i++) {
      const content = `v${i}`;
      const controller = startController(content);
      let finished = false;
      void controller.exited.then(() => (finished = true));
      const target = lab.hosts[Math.floor(random() * lab.hosts.length)]!;
      if (i % 3 === 0) {
        // aimed: as soon as the new config is on a host, between the change and its handler
        await shResult(target, `for i in $(seq 3000); do grep -qx 'value=${content}' /etc/lw-chaos/app.conf 2>/dev/null && exit 0; sleep 0.01; done; exit 1`);
      } else if (i % 3 === 1) {
        // aimed: as soon as a host restarted with it, between the handler and its clearing
        await shResult(target, `for i in $(seq 3000); do grep -qx 'start value=${content}' /var/log/lw-chaos-starts 2>/dev/null && exit 0; sleep 0.01; done; exit 1`);
      } else {
        await sleep(random() * runMs * 0.75); // later runs change less than the first one
      }
      const killed = !finished;
      if (killed) controller.kill();
      await controller.exited;

      // after the kill: which window it fell in, per host
      const restartedBeforeClearing: string[] = [];
      const seenAll = await Promise.all(lab.hosts.map((h) => observe(h, content)));
      for (const [n, h] of lab.hosts.entries()) {
        const seen = seenAll[n]!;
        const changed = seen.conf === `value=${content}`;
        const pending = seen.pending.includes('chaos:restart chaos');
        // never half-written: the old config or the new one, whole
        expect({ host: h.name, kill: i, conf: seen.conf }).toEqual({ host: h.name, kill: i, conf: changed ? `value=${content}` : `value=v${i - 1}` });
        // the one state that loses a restart: the new config live, no restart with it, nothing pending
        expect({ host: h.name, kill: i, forgotten: changed && seen.starts === 0 && !pending }).toMatchObject({ forgotten: false });
        if (pending && seen.starts > 0) restartedBeforeClearing.push(h.name);
        phases.push(`${h.name}:${!killed ? 'finished' : !changed ? (pending ? 'recorded' : 'before-change') : seen.starts === 0 ? 'changed' : pending ? 'restarted-not-cleared' : 'done'}`);
      }

      const io = captureIo();
      // shown if the rerun fails: each host's clock, boot id, run lock and processes before it
      const before = await Promise.all(lab.hosts.map(async (h) => `${h.name}:\n${await shOn(h, 'date +%s; cat /proc/sys/kernel/random/boot_id; cat /run/labwright/*.lock 2>/dev/null; ps -eo pid,ppid,comm,args')}`));
      expect(await main(plays, ['-i', lab.inventoryPath, '-e', extraVars(content)], io), `${io.text()}\n${before.join('\n')}`).toBe(0);
      const converged = await Promise.all(lab.hosts.map((h) => observe(h, content)));
      for (const [n, h] of lab.hosts.entries()) {
        const after = converged[n]!;
        expect({ host: h.name, kill: i, ...after }).toEqual({
          host: h.name,
          kill: i,
          conf: `value=${content}`,
          pending: [],
          starts: restartedBeforeClearing.includes(h.name) ? 2 : 1,
          lastStart: `start value=${content}`,
          temps: '',
          active: 'active',
        });
      }
    }
    console.log(`chaos: one run takes ${runMs} ms; where the ${KILLS} kills fell, per host: ${phases.join(' ')}`);
  });
});

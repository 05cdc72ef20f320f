/**
 * npm run bench -- [HOSTS] [--no-ansible]
 *
 * Starts HOSTS lab containers (default 10), runs pyinfra's benchmark workload
 * with labwright twice (first run, then the idempotent run) and, when
 * ansible-playbook is installed, with Ansible on the same hosts; prints wall
 * time, SSH round trips per host, controller memory, and the floor: one
 * plain `ssh HOST true` per host in parallel.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '../src/connection/index.js';
import type { Connection } from '../src/connection/types.js';
import { emptyCounters, type Recap, type Reporter } from '../src/engine/events.js';
import { play } from '../src/engine/definitions.js';
import { runPlays } from '../src/engine/runner.js';
import { loadInventory } from '../src/inventory/index.js';
import { startLab, type Lab } from '../test/lab/index.js';
import { ansiblePlaybook, COPIED, workload } from './workload.js';

const run = promisify(execFile);
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const args = process.argv.slice(2);
const hosts = Number(args.find((a) => /^\d+$/.test(a)) ?? 10);
const withAnsible = !args.includes('--no-ansible');

interface Figure {
  what: string;
  seconds: number;
  roundTripsPerHost?: number;
  rssMiB?: number;
  recap?: string;
}

const silent: Reporter = { event: () => undefined, finish: async () => undefined };

function summarise(recap: Recap): string {
  const total = Object.values(recap.hosts).reduce((t, c) => {
    for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] += c[k];
    return t;
  }, emptyCounters());
  return `ok=${total.ok} changed=${total.changed} failed=${total.failed} unreachable=${total.unreachable}`;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; rssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  try {
    const value = await fn();
    return { value, seconds: (performance.now() - start) / 1000, rssMiB: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

async function labwrightRun(lab: Lab, label: string): Promise<Figure> {
  const inventory = await loadInventory([lab.inventoryPath]);
  const conns: Connection[] = [];
  const { value, seconds, rssMiB } = await timed(() =>
    runPlays([play({ name: 'bench', hosts: 'all', roles: [workload] })], inventory, { check: false, forks: hosts, tags: { only: [], skip: [] } }, silent, (h) => {
      const c = connect(h.name, h.connection);
      conns.push(c);
      return c;
    }),
  );
  const trips = conns.reduce((n, c) => n + c.roundTrips, 0) / hosts;
  return { what: `labwright ${label}`, seconds, roundTripsPerHost: trips, rssMiB, recap: summarise(value) };
}

async function cliRun(lab: Lab, label: string): Promise<Figure> {
  const start = performance.now();
  await run('npx', ['tsx', 'bench/playbook.ts', '-i', lab.inventoryPath, '-f', String(hosts)], { maxBuffer: 64 * 2 ** 20 });
  return { what: `labwright CLI ${label} (incl. start-up)`, seconds: (performance.now() - start) / 1000 };
}

async function sshFloor(lab: Lab): Promise<Figure> {
  const start = performance.now();
  await Promise.all(
    lab.hosts.map((h) =>
      run('ssh', ['-i', lab.keyPath, '-o', `UserKnownHostsFile=${lab.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `lab@${h.ip}`, 'true']),
    ),
  );
  return { what: 'floor: ssh HOST true, all hosts in parallel', seconds: (performance.now() - start) / 1000, roundTripsPerHost: 1 };
}

async function ansibleRun(lab: Lab, label: string): Promise<Figure> {
  const dir = join(lab.inventoryPath, '..');
  const copySource = join(dir, 'bench-copied.txt');
  writeFileSync(copySource, COPIED);
  writeFileSync(join(dir, 'bench.yml'), ansiblePlaybook(copySource));
  const start = performance.now();
  const { stdout } = await run('ansible-playbook', ['-i', lab.inventoryPath, '-f', String(hosts), join(dir, 'bench.yml')], {
    env: { ...process.env, ANSIBLE_PIPELINING: '1', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_NOCOLOR: '1' },
    maxBuffer: 64 * 2 ** 20,
  });
  const totals = { ok: 0, changed: 0, failed: 0, unreachable: 0 };
  for (const m of (stdout.split('PLAY RECAP')[1] ?? '').matchAll(/ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/g)) {
    totals.ok += Number(m[1]);
    totals.changed += Number(m[2]);
    totals.unreachable += Number(m[3]);
    totals.failed += Number(m[4]);
  }
  const recap = `ok=${totals.ok} changed=${totals.changed} failed=${totals.failed} unreachable=${totals.unreachable}`;
  return { what: `ansible-playbook ${label} (pipelining, no facts)`, seconds: (performance.now() - start) / 1000, recap };
}

async function ansibleAvailable(): Promise<boolean> {
  return run('ansible-playbook', ['--version']).then(() => true, () => false);
}

const lab = await startLab({ name: 'bench', hosts: Array.from({ length: hosts }, (_, i) => ({ name: `b${i + 1}`, groups: ['bench'] })) });
try {
  const figures: Figure[] = [await sshFloor(lab)];
  figures.push(await labwrightRun(lab, 'first run'));
  figures.push(await labwrightRun(lab, 'second run (idempotent)'));
  figures.push(await cliRun(lab, 'second run'));
  if (withAnsible && (await ansibleAvailable())) {
    await Promise.all(lab.hosts.map((h) => h.exec(['sh', '-c', 'userdel -r benchuser; rm -f /tmp/bench-touched /tmp/bench-copied'])));
    figures.push(await ansibleRun(lab, 'first run'));
    figures.push(await ansibleRun(lab, 'second run'));
  } else {
    figures.push({ what: withAnsible ? 'ansible-playbook: not installed (apt-get install ansible-core), skipped' : 'ansible-playbook: skipped (--no-ansible)', seconds: NaN });
  }
  const floor = figures[0].seconds;
  console.log(`\nbenchmark: ${hosts} hosts, workload = add user, touch file, copy file, shell command\n`);
  for (const f of figures) {
    const cols = [
      f.what.padEnd(58),
      Number.isNaN(f.seconds) ? '' : `${f.seconds.toFixed(2).padStart(6)} s`,
      Number.isNaN(f.seconds) ? '' : `×${(f.seconds / floor).toFixed(1)} floor`,
      f.roundTripsPerHost !== undefined ? `${f.roundTripsPerHost.toFixed(1)} round trips/host` : '',
      f.rssMiB !== undefined ? `${f.rssMiB.toFixed(0)} MiB rss` : '',
      f.recap ?? '',
    ];
    console.log(cols.filter(Boolean).join('  '));
  }
} finally {
  await lab.stop();
}

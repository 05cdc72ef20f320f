/**
 * npm run bench -- [HOSTS] [--no-ansible] [--site]
 *
 * Start-up first: the site playbook's --list-hosts on the 8-host example
 * inventory, compiled (as the npm package runs) and through tsx, as a ratio
 * to `node -e 0` (bench/startup.ts). Then starts HOSTS lab containers
 * (default 20), runs pyinfra's benchmark workload with labwright twice (first
 * run, then the idempotent run; in-process, then as the CLI, compiled and
 * through tsx, with its peak RSS) and, when ansible-playbook is installed,
 * with Ansible on the same hosts; prints wall time, SSH round trips per host
 * and the floor: one plain `ssh HOST true` per host in parallel.
 *
 * With --site: the site playbook's no-op run on the 8-host lab instead (bench/site.ts).
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
import { compileTree, type CompiledTree } from './compiled.js';
import { siteBench } from './site.js';
import { measure, startupBench } from './startup.js';
import { ansiblePlaybook, COPIED, workload } from './workload.js';

const run = promisify(execFile);
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

const args = process.argv.slice(2);
const hosts = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
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

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - start) / 1000 };
}

async function labwrightRun(lab: Lab, label: string): Promise<Figure> {
  const inventory = await loadInventory([lab.inventoryPath]);
  const conns: Connection[] = [];
  const { value, seconds } = await timed(() =>
    runPlays([play({ name: 'bench', hosts: 'all', roles: [workload] })], inventory, { check: false, forks: hosts, tags: { only: [], skip: [] } }, silent, (h) => {
      const c = connect(h.name, h.connection);
      conns.push(c);
      return c;
    }),
  );
  const trips = conns.reduce((n, c) => n + c.roundTrips, 0) / hosts;
  return { what: `labwright ${label}`, seconds, roundTripsPerHost: trips, recap: summarise(value) };
}

/** The workload as a user runs it (start-up included), compiled or through tsx; the process's peak RSS. */
async function cliRun(lab: Lab, label: string, playbook: string[]): Promise<Figure> {
  const { ms, rssMiB } = await measure([...playbook, '-i', lab.inventoryPath, '-f', String(hosts)], { rss: true, maxBuffer: 64 * 2 ** 20 });
  return { what: `labwright CLI ${label} (incl. start-up)`, seconds: ms / 1000, rssMiB };
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

async function printStartup(compiled: CompiledTree): Promise<void> {
  const [node, ...playbooks] = await startupBench(compiled);
  console.log('\nstart-up: site playbook --list-hosts, inventory/home.yaml (8 hosts), best of 10, against node -e 0\n');
  console.log(`${node!.what.padEnd(44)} ${node!.ms.toFixed(0).padStart(5)} ms  ${node!.rssMiB.toFixed(0)} MiB rss`);
  for (const p of playbooks) console.log(`${p.what.padEnd(44)} ${p.ms.toFixed(0).padStart(5)} ms  ${p.rssMiB.toFixed(0)} MiB rss  ×${(p.ms / node!.ms).toFixed(1)} node -e 0`);
}

async function workloadBench(compiled: CompiledTree): Promise<void> {
  const lab = await startLab({ name: 'bench', hosts: Array.from({ length: hosts }, (_, i) => ({ name: `b${i + 1}`, groups: ['bench'] })) });
  try {
    const figures: Figure[] = [await sshFloor(lab)];
    figures.push(await labwrightRun(lab, 'first run'));
    figures.push(await labwrightRun(lab, 'second run (idempotent)'));
    figures.push(await cliRun(lab, 'second run, compiled', [process.execPath, compiled.path('bench/playbook.ts')]));
    figures.push(await cliRun(lab, 'second run, labwright run (compiled)', [process.execPath, compiled.path('bin/labwright.js'), 'run', compiled.path('bench/playbook.ts')]));
    figures.push(await cliRun(lab, 'second run, tsx', ['node_modules/.bin/tsx', 'bench/playbook.ts']));
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
}

if (args.includes('--site')) await siteBench();
else {
  const compiled = await compileTree();
  try {
    await printStartup(compiled);
    await workloadBench(compiled);
  } finally {
    compiled.remove();
  }
}

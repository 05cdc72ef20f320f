/**
 * `npm run bench -- --site`: the site playbook on the 8-host lab laid out
 * from inventory/home.yaml (as test/integration/site.lab.test.ts builds it).
 * The network roles are applied once (the cluster roles need a control plane
 * the lab has not: skipped), then the no-op second run is measured: its wall
 * time in-process and as the CLI (start-up included, and its share), and the
 * SSH round trips each host makes in each play.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { site } from '../playbooks/site.js';
import type { Recap } from '../src/engine/events.js';
import { loadInventory } from '../src/inventory/index.js';
import { labFromInventory } from '../test/lab/from-inventory.js';
import { startLab, type Lab } from '../test/lab/index.js';
import { runCountingTrips } from '../test/support/round-trips.js';
import { measure } from './startup.js';

const repo = fileURLToPath(new URL('../', import.meta.url));
const HOME = join(repo, 'inventory/home.yaml');
/** The cluster roles: no control plane in the lab (as in the site lab test). */
export const CLUSTER_TAGS = ['kubeadm-init', 'calico', 'metallb', 'manifests', 'cilium', 'helm'];

/** The site on the lab, in-process, each play's round trips per host counted. */
export async function siteRun(lab: Lab) {
  return runCountingTrips(site, await loadInventory([lab.inventoryPath]), { check: false, tags: { only: [], skip: CLUSTER_TAGS } });
}

/** The no-op run as a user runs it: `tsx playbooks/site.ts -i INV --skip-tags …` (exit code, peak RSS), and its --list-hosts (start-up: no host contacted). */
export async function siteCli(lab: Lab): Promise<{ seconds: number; code: number; rssMiB: number; startupSeconds: number }> {
  const tsx = [join(repo, 'node_modules/.bin/tsx'), 'playbooks/site.ts', '-i', lab.inventoryPath];
  let code = 0;
  const noop = await measure([...tsx, '--skip-tags', CLUSTER_TAGS.join(',')], { rss: true, maxBuffer: 64 * 2 ** 20 }).catch((e: { code?: number }) => {
    code = e.code ?? 1;
    return { ms: NaN, rssMiB: NaN };
  });
  const startup = await measure([...tsx, '--list-hosts']);
  return { seconds: noop.ms / 1000, code, rssMiB: noop.rssMiB, startupSeconds: startup.ms / 1000 };
}

const sum = (recap: Recap, key: 'changed' | 'failed' | 'unreachable') => Object.values(recap.hosts).reduce((n, c) => n + c[key], 0);

export async function siteBench(): Promise<void> {
  const layout = await labFromInventory(HOME);
  const lab = await startLab({ name: 'bench-site', hosts: layout.hosts, subnet: layout.subnet });
  try {
    const first = await siteRun(lab);
    const noop = await siteRun(lab);
    console.log(`\nsite benchmark: ${lab.hosts.length} hosts from inventory/home.yaml, cluster roles skipped (${CLUSTER_TAGS.join(', ')})\n`);
    console.log(`first run (applies)        ${first.seconds.toFixed(2).padStart(6)} s  failed=${sum(first.recap, 'failed')} unreachable=${sum(first.recap, 'unreachable')}`);
    for (const f of first.failures.slice(0, 5)) console.log(`  failed: ${f.split('\n')[0]}`);
    console.log(`no-op run, in-process      ${noop.seconds.toFixed(2).padStart(6)} s  changed=${sum(noop.recap, 'changed')} failed=${sum(noop.recap, 'failed')}`);
    console.log('round trips per host in each play of the no-op run (the first play includes taking the run lock; timed lock renewals apart):');
    for (const p of noop.plays) console.log(`  ${p.play.padEnd(32)} ${String(p.hosts).padStart(2)} host(s)  ${p.perHost.toFixed(1)}${p.renewals > 0 ? `  (+${p.renewals} run-lock renewals)` : ''}`);
    console.log(`  most in one play: ${Math.max(...noop.plays.map((p) => p.perHost)).toFixed(1)}`);
    const cli = await siteCli(lab);
    const share = ((100 * cli.startupSeconds) / cli.seconds).toFixed(0);
    console.log(`no-op run, CLI (tsx)       ${cli.seconds.toFixed(2).padStart(6)} s  exit ${cli.code}, ${cli.rssMiB.toFixed(0)} MiB rss; start-up (its --list-hosts) ${cli.startupSeconds.toFixed(2)} s = ${share}%`);
  } finally {
    await lab.stop();
  }
}

import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadInventory } from '../../src/inventory/index.js';
import { site } from '../../playbooks/site.js';
import { labFromInventory, type LabLayout } from '../lab/from-inventory.js';
import { startLab, type Lab, type LabHost } from '../lab/index.js';
import { captureIo } from '../support/io.js';
import { shOn } from '../support/lab-shell.js';
import { runCountingTrips } from '../support/round-trips.js';

/**
 * The site playbook on a lab laid out from inventory/home.yaml: a container
 * per host, same groups and vars, the LAN moved to a lab subnet. The network
 * roles are applied for real; the cluster roles (no control plane here) are
 * planned with --check, in order.
 */
const HOME = fileURLToPath(new URL('../../inventory/home.yaml', import.meta.url));
const CLUSTER_TAGS = 'kubeadm-init,calico,cilium,metallb,manifests,helm';
let layout: LabLayout;
let lab: Lab;

/** Files, unit states, ruleset and addresses; taken once systemd has no job left (boot or activation settling). */
const fingerprint = (host: LabHost) =>
  shOn(host, 'while [ -n "$(systemctl list-jobs --no-legend)" ]; do sleep 0.2; done; find /etc /var/lib/labwright -xdev -type f 2>/dev/null | sort | xargs -d "\\n" sha256sum 2>/dev/null; systemctl list-units --all --plain --no-legend --no-pager | sort; nft list ruleset 2>/dev/null; ip -4 addr');

/** The lab address of a home.yaml address (same host number). */
const labIp = (homeIp: string) => layout.hosts.find((h) => h.vars?.lan && homeIp)!.ip!.replace(/\.\d+$/, `.${homeIp.split('.')[3]}`);

beforeAll(async () => {
  layout = await labFromInventory(HOME);
  lab = await startLab({ name: 'site', hosts: layout.hosts, subnet: layout.subnet });
});

afterAll(async () => {
  await lab?.stop();
});

describe('site playbook on a lab laid out from inventory/home.yaml', () => {
  it('--check shows the full ordered plan for every role and changes nothing', async () => {
    const before = await Promise.all(lab.hosts.map(fingerprint));
    const io = captureIo();
    expect(await main(site, ['-i', lab.inventoryPath, '--check'], io)).toBe(0);
    const plays = [...io.stdout.matchAll(/^PLAY \[(.+?)\]/gm)].map((m) => m[1]);
    expect(plays).toEqual(['host network', 'firewall', 'DHCP and DNS', 'Kubernetes API load balancer', 'virtual IP', 'Kubernetes nodes', 'cluster networking', 'cluster workloads']);
    const roles = [...new Set([...io.stdout.matchAll(/^TASK \[([a-z-]+) : /gm)].map((m) => m[1]))];
    expect(roles).toEqual(['base', 'networking', 'static-routes', 'firewall', 'dnsmasq', 'haproxy', 'keepalived', 'kubeadm-init', 'calico', 'cilium', 'metallb', 'manifests', 'helm']);
    // init happens once, on the first control plane; the others join
    expect(io.stdout).toMatch(/would (change|run \(not predictable\)): \[cp1\][^\n]*\n(\s+- [^\n]*\n)*\s+- run: [^\n]*kubeadm init/);
    const after = await Promise.all(lab.hosts.map(fingerprint));
    const changed = lab.hosts.flatMap((h, i) => {
      const [b, a] = [new Set(before[i].split('\n')), new Set(after[i].split('\n'))];
      return [...[...b].filter((l) => !a.has(l)).map((l) => `${h.name} - ${l}`), ...[...a].filter((l) => !b.has(l)).map((l) => `${h.name} + ${l}`)];
    });
    expect(changed).toEqual([]);
  });

  it('applies the network roles for real; the second run changes nothing', async () => {
    const io = captureIo();
    expect(await main(site, ['-i', lab.inventoryPath, '--skip-tags', CLUSTER_TAGS], io)).toBe(0);
    const again = captureIo();
    expect(await main(site, ['-i', lab.inventoryPath, '--skip-tags', CLUSTER_TAGS], again)).toBe(0);
    for (const h of lab.hosts) expect(again.stdout).toMatch(new RegExp(`${h.name}\\s+: ok=\\d+\\s+changed=0\\s+unreachable=0\\s+failed=0`));
  }, 600_000);

  it('a run with nothing to change makes at most 2 round trips per host in each play (facts read in one batch)', async () => {
    const inventory = await loadInventory([lab.inventoryPath]);
    const noop = await runCountingTrips(site, inventory, { check: false, tags: { only: [], skip: CLUSTER_TAGS.split(',') } });
    expect(noop.failures).toEqual([]);
    expect(Object.values(noop.recap.hosts).every((c) => c.changed === 0)).toBe(true);
    expect(noop.plays.length).toBeGreaterThan(0);
    expect(noop.plays.filter((p) => p.perHost > 2)).toEqual([]);
  }, 600_000);

  it('the services answer: VIP on gw1, DNS for every host, the API port behind the VIP, the firewall table', async () => {
    const gw1 = lab.host('gw1');
    const vip = labIp('192.168.50.10');
    // keepalived starts as BACKUP and takes the VIP after 3 adverts without a master
    await shOn(gw1, `for i in $(seq 100); do ip -4 -o addr show | grep -q ' ${vip}/' && exit 0; sleep 0.2; done; exit 1`);
    const w1 = lab.host('w1');
    expect((await shOn(w1, `dig +short @${labIp('192.168.50.2')} cp2.home.lab`)).trim()).toBe(labIp('192.168.50.12'));
    // haproxy listens on the VIP's port on the host that holds it (no backend answers: no kube-apiserver here)
    expect(await shOn(gw1, 'ss -ltn')).toMatch(/:6443\b/);
    expect(await shOn(lab.host('cp1'), 'nft list table inet labwright')).toMatch(/policy drop/);
  });
});

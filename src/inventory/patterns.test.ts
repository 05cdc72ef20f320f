import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionsError } from '../errors.js';
import { loadInventory, type Inventory } from './index.js';

const homelab = fileURLToPath(new URL('./fixtures/homelab/inventory.yaml', import.meta.url));

// fixtures/homelab: nas (ungrouped), gateways: gw1 gw2, k8s: control_plane (cp1) + workers (worker1 worker2),
// monitoring: cp1 gw1.
let inventory: Inventory;
beforeAll(async () => {
  inventory = await loadInventory([homelab]);
});
const select = (pattern: string) => inventory.select(pattern).map((host) => host.name);
const everyHost = ['nas', 'gw1', 'gw2', 'cp1', 'worker1', 'worker2'];

describe('Inventory.select', () => {
  it.each([
    ['all', everyHost],
    ['*', everyHost],
    ['gw1', ['gw1']],
    ['k8s', ['cp1', 'worker1', 'worker2']],
    ['ungrouped', ['nas']],
  ])('selects names and groups: %s', (pattern, hosts) => {
    expect(select(pattern)).toEqual(hosts);
  });

  it.each([
    ['worker*', ['worker1', 'worker2']],
    ['gw?', ['gw1', 'gw2']],
    ['*1', ['gw1', 'cp1', 'worker1']],
    ['gate*', ['gw1', 'gw2']],
  ])('selects globs: %s', (pattern, hosts) => {
    expect(select(pattern)).toEqual(hosts);
  });

  it.each([
    ['~gw\\d', ['gw1', 'gw2']],
    ['~(cp|worker)1$', ['cp1', 'worker1']],
    ['~orker', []],
  ])('selects regexes matched from the start of names, like Ansible: %s', (pattern, hosts) => {
    expect(select(pattern)).toEqual(hosts);
  });

  it.each([
    ['gateways:workers', ['gw1', 'gw2', 'worker1', 'worker2']],
    ['workers,gateways', ['worker1', 'worker2', 'gw1', 'gw2']],
    [' workers , nas ', ['worker1', 'worker2', 'nas']],
  ])('selects unions in the order written, as Ansible: %s', (pattern, hosts) => {
    expect(select(pattern)).toEqual(hosts);
  });

  it.each([
    ['k8s:!workers', ['cp1']],
    ['k8s:&monitoring', ['cp1']],
    ['gateways:k8s:&monitoring:!cp1', ['gw1']],
    ['!k8s', ['nas', 'gw1', 'gw2']],
    ['&monitoring', ['gw1', 'cp1']],
  ])('applies exclusions and intersections: %s', (pattern, hosts) => {
    expect(select(pattern)).toEqual(hosts);
  });

  it('applies unions, then intersections, then exclusions, wherever they are written', () => {
    expect(select('!workers:&k8s:all')).toEqual(['cp1']);
  });

  it("lists each host once, where it first appears (Ansible's order, not the inventory's)", () => {
    // monitoring lists cp1 then gw1; gateways adds gw2.
    expect(select('monitoring:worker2:gw1:cp1:gateways')).toEqual(['cp1', 'gw1', 'worker2', 'gw2']);
  });

  it("lists a group's own hosts, then its children's, level by level (Group.get_hosts)", () => {
    expect(select('all')).toEqual(['nas', 'gw1', 'gw2', 'cp1', 'worker1', 'worker2']);
    expect(select('k8s')).toEqual(['cp1', 'worker1', 'worker2']);
  });

  it.each([
    ['workers[0]', ['worker1']],
    ['workers[-1]', ['worker2']],
    ['k8s[0:1]', ['cp1', 'worker1']],
    ['k8s[1:]', ['worker1', 'worker2']],
    ['k8s[1-2]', ['worker1', 'worker2']],
    ['k8s[5:7]', []],
    ['k8s[2:0]', ['worker2']],
    ['gateways[0]:workers[-1]', ['gw1', 'worker2']],
    ['k8s:!k8s[0]', ['worker1', 'worker2']],
    ['all:&monitoring[1]', ['gw1']],
    ['gw*[1]', ['gw2']],
    ['nosuch[0]', []],
  ])('applies subscripts to the hosts of a term, in that order: %s', (pattern, hosts) => {
    expect(select(pattern)).toEqual(hosts);
  });

  it.each([
    ['worker[12]', []], // a subscript (host 12 of group "worker"), not a glob
    ['worker[!1]', ['worker1', 'worker2']], // the glob matches group "workers" too
    ['w[a-z]rker?', ['worker1', 'worker2']],
  ])('reads brackets as Ansible: subscript when they hold numbers, else a glob class: %s', (pattern, hosts) => {
    expect(select(pattern)).toEqual(hosts);
  });

  it('a name matching no group and no host, with a colon in a comma list, is one term (as Ansible)', () => {
    expect(select('gateways:workers,nas')).toEqual(['nas']);
  });

  it('returns nothing for patterns matching nothing', () => {
    expect(select('db*')).toEqual([]);
    expect(select('gateways:&workers')).toEqual([]);
  });

  it.each([
    ['gateways:!', 'bad host pattern "gateways:!": "!" needs a name after !'],
    ['', 'bad host pattern "": it has an empty part'],
    ['gateways::workers', 'bad host pattern "gateways::workers": it has an empty part'],
    ['gateways,', 'bad host pattern "gateways,": it has an empty part'],
    ['k8s:&!workers', 'bad host pattern "k8s:&!workers": "&!workers" needs a name after &'],
    ['workers[2]', 'bad host pattern "workers[2]": "workers[2]" asks for host 2 of 2 (worker1, worker2): counting starts at 0'],
    ['workers[-3]', 'bad host pattern "workers[-3]": "workers[-3]" asks for host -3 of 2 (worker1, worker2): counting starts at 0'],
  ])('rejects malformed pattern %j with an OptionsError (exit 5)', (pattern, message) => {
    expect(() => inventory.select(pattern)).toThrow(new OptionsError(message));
    expect(() => inventory.select(pattern)).toThrow(expect.objectContaining({ name: 'OptionsError', exitCode: 5 }));
  });

  it('rejects an invalid regex with the reason', () => {
    expect(() => inventory.select('~gw(')).toThrow(
      /^bad host pattern "~gw\(": "~gw\(" is not a valid regex: Invalid regular expression: .*Unterminated group/,
    );
  });
});

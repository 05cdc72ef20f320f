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
    ['workers,gateways', ['gw1', 'gw2', 'worker1', 'worker2']],
    [' workers , nas ', ['nas', 'worker1', 'worker2']],
  ])('selects unions in inventory order: %s', (pattern, hosts) => {
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

  it('lists each host once, in inventory order', () => {
    expect(select('monitoring:worker2:gw1:cp1:gateways')).toEqual(['gw1', 'gw2', 'cp1', 'worker2']);
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
    [
      'workers[0]',
      'bad host pattern "workers[0]": subscripts such as "workers[0]" are not supported: use a glob (web*) or a regex (~web[12])',
    ],
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

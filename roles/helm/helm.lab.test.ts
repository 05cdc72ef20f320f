import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { play } from '../../src/engine/definitions.js';
import { startLab, type Lab, type LabHost } from '../../test/lab/index.js';
import { addFakeChart, helmInvocations, installHelmStandin, storedRelease } from '../../test/standins/helm/index.js';
import { installKubectlStandin } from '../../test/standins/kubectl/index.js';
import { expectNoChanges, runPlays } from '../haproxy/lab-support.js';
import { helm } from './index.js';

/**
 * The helm role on a lab control plane with the helm STAND-IN installed as
 * /usr/local/bin/helm (`install: false`) and the kubectl stand-in behind it:
 * seed 002's Grafana (with a !secret admin password) and Prometheus
 * NodePorts installed in order, the secret only ever in the values file on
 * stdin, a second run without changes.
 */
let lab: Lab;
let cp1: LabHost;
const PASSWORD = 'gr4fana-adm1n-pw';

const fakeChart = (name: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: monitoring\n`;

beforeAll(async () => {
  lab = await startLab({ name: `helm-${process.pid}`, hosts: [{ name: 'cp1', groups: ['control_plane'] }] });
  cp1 = lab.host('cp1');
  await installKubectlStandin(cp1);
  await installHelmStandin(cp1);
  await addFakeChart(cp1, 'grafana', '8.10.1', fakeChart('grafana'));
  await addFakeChart(cp1, 'prometheus', '27.5.1', fakeChart('prometheus-server'));
  const inventory = parse(await readFile(lab.inventoryPath, 'utf8'));
  inventory.all.vars = { helm: { install: false, releases: 'RELEASES' } };
  const text = stringify(inventory).replace(
    'releases: RELEASES',
    `releases:
        - { name: grafana, namespace: monitoring, repo: "https://grafana.github.io/helm-charts", chart: grafana, version: 8.10.1, values: { adminPassword: !secret ${PASSWORD}, service: { type: NodePort, nodePort: 30300 } } }
        - { name: prometheus, namespace: monitoring, repo: "https://prometheus-community.github.io/helm-charts", chart: prometheus, version: 27.5.1, wait: false, values: { server: { service: { type: NodePort, nodePort: 30090 } } } }`,
  );
  await writeFile(lab.inventoryPath, text);
}, 600_000);

afterAll(async () => {
  await lab?.stop();
});

const run = (flags: string[] = []) => runPlays(lab, [play({ name: 'apps', hosts: 'all', roles: [helm] })], flags);

describe('helm role on a lab control plane with the helm stand-in', () => {
  it('--check shows both releases with the password masked and installs nothing', async () => {
    const { code, out } = await run(['--check', '--diff']);
    expect(code, out).toBe(0);
    expect(out).toContain('install release monitoring/grafana: chart grafana 8.10.1');
    expect(out).toContain('install release monitoring/prometheus: chart prometheus 27.5.1');
    expect(out).toContain('adminPassword: "********"');
    expect(out).not.toContain(PASSWORD);
    expect((await helmInvocations(cp1)).map((c) => c.verb)).not.toContain('upgrade');
  }, 600_000);

  it('installs the releases in order, the secret only in the values file (never in argv or output); a second run changes nothing', async () => {
    const { code, out } = await run();
    expect(code, out).toBe(0);
    expect(out).not.toContain(PASSWORD);
    const upgrades = (await helmInvocations(cp1)).filter((c) => c.verb === 'upgrade');
    expect(upgrades.map((c) => c.argv[2])).toEqual(['grafana', 'prometheus']);
    expect(upgrades[0].argv).toEqual(expect.arrayContaining(['--wait', '--timeout', '600s', '--create-namespace']));
    expect(upgrades[1].argv).not.toContain('--wait');
    expect(upgrades.flatMap((c) => c.argv).join(' ')).not.toContain(PASSWORD);
    expect(JSON.parse(upgrades[0].values!)).toEqual({ adminPassword: PASSWORD, service: { type: 'NodePort', nodePort: 30300 } });
    expect(await storedRelease(cp1, 'monitoring', 'prometheus')).toMatchObject({ chart: 'prometheus-27.5.1', status: 'deployed' });
    const again = await run();
    expect(again.code, again.out).toBe(0);
    expectNoChanges(again.out, ['cp1']);
    expect((await helmInvocations(cp1)).filter((c) => c.verb === 'upgrade')).toHaveLength(2);
  }, 600_000);
});

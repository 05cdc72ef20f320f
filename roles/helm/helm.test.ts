import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RoleUse } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { loadInventory } from '../../src/inventory/index.js';
import { helmRelease, helmReleaseOp, revealValues } from '../../src/ops/helm-release.js';
import { MASK } from '../../src/secret.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { helm, helmBinaryOps, releaseArgs } from './index.js';
import { helmVars, type HelmVars } from './vars.js';

/** Seed 002's monitoring stack (NodePorts 30300/30090/31100) and seed 001's Argo CD, written as an inventory. */
const INVENTORY = `
all:
  vars:
    helm:
      sha256: ${'ab'.repeat(32)}
      releases:
        - name: grafana
          namespace: monitoring
          repo: https://grafana.github.io/helm-charts
          chart: grafana
          version: 8.10.1
          values:
            adminPassword: !secret gr4fana-adm1n
            service: { type: NodePort, nodePort: 30300 }
        - name: prometheus
          namespace: monitoring
          repo: https://prometheus-community.github.io/helm-charts
          chart: prometheus
          version: 27.5.1
          values:
            server: { service: { type: NodePort, nodePort: 30090 } }
        - name: loki
          namespace: monitoring
          repo: https://grafana.github.io/helm-charts
          chart: loki
          version: 6.27.0
          values:
            deploymentMode: SingleBinary
            gateway: { service: { type: NodePort, nodePort: 31100 } }
        - name: argocd
          namespace: argocd
          chart: oci://ghcr.io/argoproj/argo-helm/argo-cd
          version: 7.8.2
          wait: false
  children:
    control_plane: { hosts: { cp1: { ansible_host: 10.0.0.11 } } }
    workers: { hosts: { w1: { ansible_host: 10.0.0.21 } } }
`;

const dir = mkdtempSync(join(tmpdir(), 'lw-helm-role-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function varsOf(host: string): Promise<HelmVars> {
  writeFileSync(join(dir, 'inv.yaml'), INVENTORY);
  const inventory = await loadInventory([join(dir, 'inv.yaml')]);
  return resolveRoleVars(helm as RoleUse, inventory.hosts.get(host)!, inventory) as HelmVars;
}

describe('helm role vars', () => {
  it('expresses seed 002\'s monitoring NodePorts and seed 001\'s Argo CD (oci chart), in order, with the secret kept a Secret', async () => {
    const vars = await varsOf('cp1');
    expect(vars.releases.map((r) => `${r.namespace}/${r.name} ${r.chart} ${r.version}`)).toEqual([
      'monitoring/grafana grafana 8.10.1',
      'monitoring/prometheus prometheus 27.5.1',
      'monitoring/loki loki 6.27.0',
      'argocd/argocd oci://ghcr.io/argoproj/argo-helm/argo-cd 7.8.2',
    ]);
    const grafana = releaseArgs(vars, vars.releases[0]);
    expect(grafana).toMatchObject({ repo: 'https://grafana.github.io/helm-charts', waitSeconds: 600, createNamespace: true });
    expect(JSON.stringify(grafana.values)).toContain(MASK);
    expect(revealValues(grafana.values)).toEqual({ adminPassword: 'gr4fana-adm1n', service: { type: 'NodePort', nodePort: 30300 } });
    expect(releaseArgs(vars, vars.releases[3])).toMatchObject({ repo: undefined, waitSeconds: undefined });
  });

  it('seed 002\'s Grafana is ok once helm reports its chart and values (the Secret compared by its value)', async () => {
    const vars = await varsOf('cp1');
    const args = releaseArgs(vars, vars.releases[0]);
    const ctx = new FixtureContext([[helmRelease('helm', args.kubeconfig, args.namespace, args.name), { helm: true, release: { name: 'grafana', namespace: 'monitoring', revision: '1', status: 'deployed', chart: 'grafana-8.10.1' }, values: revealValues(args.values) }]]);
    expect((await helmReleaseOp(args).plan(ctx)).kind).toBe('ok');
  });

  it('refuses what would make a release move or be ambiguous, naming the key', () => {
    const r = { name: 'x', namespace: 'y', repo: 'https://charts.example', chart: 'x', version: '1.2.3' };
    expect(helmVars.safeParse({ releases: [r] }).success).toBe(true);
    const issue = (v: unknown) => helmVars.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    expect(issue({ releases: [{ ...r, version: '^1.2' }] })).toMatch(/releases\.0\.version: expected an exact chart version/);
    expect(issue({ releases: [{ ...r, chart: 'oci://ghcr.io/x/x' }] })).toMatch(/releases\.0\.repo: set repo for a chart name, or a full oci:\/\/ chart reference without repo/);
    expect(issue({ releases: [{ ...r, repo: 'http://charts.example' }] })).toMatch(/releases\.0\.repo: expected an https chart repository URL/);
    expect(issue({ releases: [r, r] })).toBe('releases.1.name: release y/x is listed twice');
    expect(issue({ sha256: 'abc' })).toMatch(/sha256: expected a sha256/);
  });

  it('installing helm without its sha256 is an error saying where the checksum is published; install: false installs nothing', () => {
    expect(() => helmBinaryOps(helmVars.parse({}))).toThrow(/helm\.sha256 is required to install helm v3\.17\.3: .*https:\/\/get\.helm\.sh\/helm-v3\.17\.3-linux-ARCH\.tar\.gz\.sha256sum/);
    expect(helmBinaryOps(helmVars.parse({ install: false }))).toEqual([]);
  });
});

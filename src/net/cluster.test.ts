import { describe, expect, it } from 'vitest';
import { fixtureHost } from '../../test/support/fixture-context.js';
import { clusterOf, kubernetesMinor } from './cluster.js';

const withCluster = (cluster: unknown) => ({ ...fixtureHost, vars: { cluster } });

describe('cluster var', () => {
  it('has defaults', () => {
    const c = clusterOf(withCluster(undefined));
    expect(c).toMatchObject({ pod_subnet: '192.168.0.0/16', service_subnet: '10.96.0.0/12', cni: 'calico', kubernetes_version: '1.32.2' });
    expect(kubernetesMinor(c)).toBe(32);
  });
  it('normalises subnets and versions', () => {
    expect(clusterOf(withCluster({ pod_subnet: '10.244.1.0/16', kubernetes_version: 'v1.30.4' }))).toMatchObject({ pod_subnet: '10.244.0.0/16', kubernetes_version: '1.30.4' });
  });
  it('names host and key on mistakes', () => {
    expect(() => clusterOf(withCluster({ kubernetes_version: 'stable' }))).toThrow(/host h1: cluster.kubernetes_version: a pinned version/);
    expect(() => clusterOf(withCluster({ kubernetes_version: 'latest-1.32' }))).toThrow(/host h1: cluster.kubernetes_version: a pinned version/);
  });
  it('keeps a stable-1.MINOR label (kubeadm-init resolves it) and reads its minor', () => {
    const c = clusterOf(withCluster({ kubernetes_version: 'stable-1.31' }));
    expect(c.kubernetes_version).toBe('stable-1.31');
    expect(kubernetesMinor(c)).toBe(31);
  });
});

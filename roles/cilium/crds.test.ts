import { describe, expect, it } from 'vitest';
import { checkCases } from '../../scripts/crd-check/run.js';
import { CILIUM_CRD_DIR, ciliumCases } from '../../scripts/crd-check/cilium-cases.js';
import { CrdSchemas } from '../../scripts/crd-check/schemas.js';

/** The cilium role's resources against the upstream CRDs vendored in test/fixtures/cilium (PROVENANCE.md). */
describe('cilium resources against the vendored upstream CRD schemas', () => {
  const schemas = new CrdSchemas(CILIUM_CRD_DIR);

  it('every resource of every representative var set (seed 003\'s L2 pool, a BGP design in seed 001\'s numbers) passes; peer config and advertisement are reported unchecked', () => {
    const report = checkCases(schemas, ciliumCases, 'cilium');
    expect(report.lines.filter((l) => l.startsWith('FAIL')), report.lines.join('\n')).toEqual([]);
    expect(report.passed).toBe(7);
    expect(report.unchecked).toBe(2);
    expect(report.lines.some((l) => l.startsWith('ok') && l.includes('cilium.io/v2 CiliumBGPClusterConfig labwright'))).toBe(true);
    expect(report.lines.some((l) => l.startsWith('ok') && l.includes('cilium.io/v2alpha1 CiliumL2AnnouncementPolicy labwright-l2'))).toBe(true);
  });

  it('catches broken resources: the deprecated cidrs field, an ASN out of range, a namespace on a cluster-scoped kind, L2 policy in v2', () => {
    const pool = { apiVersion: 'cilium.io/v2', kind: 'CiliumLoadBalancerIPPool', metadata: { name: 'p' }, spec: { blocks: [{ cidr: '10.10.0.200/29' }] } };
    expect(schemas.check(pool).ok).toBe(true);
    expect(schemas.check({ ...pool, spec: { cidrs: [{ cidr: '10.10.0.200/29' }] } }).errors).toEqual(['spec: must NOT have additional properties (cidrs)']);
    expect(schemas.check({ ...pool, spec: { blocks: [{ cidr: '10.10.0.300/29' }] } }).errors).toEqual(['spec.blocks.0.cidr: must match format "cidr"']);
    expect(schemas.check({ ...pool, metadata: { name: 'p', namespace: 'kube-system' } }).errors).toEqual(['metadata.namespace: ciliumloadbalancerippools.cilium.io is cluster-scoped: no namespace']);
    const bgp = { apiVersion: 'cilium.io/v2', kind: 'CiliumBGPClusterConfig', metadata: { name: 'b' }, spec: { bgpInstances: [{ name: 'i', localASN: 4294967296 }] } };
    expect(schemas.check(bgp).errors).toEqual(['spec.bgpInstances.0.localASN: must be <= 4294967295']);
    expect(schemas.check({ apiVersion: 'cilium.io/v2', kind: 'CiliumL2AnnouncementPolicy', metadata: { name: 'l' }, spec: {} }).errors[0]).toMatch(/no served CRD version cilium.io\/v2 for CiliumL2AnnouncementPolicy \(served: cilium.io\/v2alpha1\)/);
  });
});

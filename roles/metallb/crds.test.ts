import { describe, expect, it } from 'vitest';
import { metallbCases } from '../../scripts/crd-check/cases.js';
import { checkCases } from '../../scripts/crd-check/run.js';
import { CrdSchemas, DEFAULT_CRD_DIR } from '../../scripts/crd-check/schemas.js';

/** The metallb role's resources against the upstream CRD schemas (skipped, saying why, without ../shared). */
const available = CrdSchemas.available();
const why = available ? '' : ` — SKIPPED: ${DEFAULT_CRD_DIR} does not exist (a user's clone has no ../shared)`;
if (!available) console.warn(`metallb CRD schema tests${why}`);

describe.skipIf(!available)(`metallb resources against the upstream CRD schemas${why}`, () => {
  const schemas = available ? new CrdSchemas() : undefined;

  it('every resource of every representative var set (seed 001\'s pool and BGP peer among them) passes', () => {
    const report = checkCases(schemas!, metallbCases, 'metallb');
    expect(report.lines.filter((l) => !l.startsWith('ok')), report.lines.join('\n')).toEqual([]);
    expect(report.lines.some((l) => l.includes('metallb.io/v1beta2 BGPPeer metallb-system/router'))).toBe(true);
    expect(report.passed).toBe(report.lines.length);
  });

  it('catches broken resources: a missing namespace, a port out of range, a v1beta1 field in v1beta2, a duplicate in a set', () => {
    const peer = { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'r', namespace: 'metallb-system' }, spec: { myASN: 64501, peerASN: 64500, peerAddress: '10.4.0.1' } };
    expect(schemas!.check(peer).ok).toBe(true);
    expect(schemas!.check({ ...peer, metadata: { name: 'r' } }).errors).toEqual(['metadata.namespace: bgppeers.metallb.io is namespaced: a namespace is required']);
    expect(schemas!.check({ ...peer, spec: { ...peer.spec, peerPort: 70000 } }).errors).toEqual(['spec.peerPort: must be <= 16384']);
    expect(schemas!.check({ ...peer, spec: { ...peer.spec, addressPool: '10.4.11.0 - 10.4.15.254' } }).errors).toEqual(['spec: must NOT have additional properties (addressPool)']);
  });
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { calicoCases } from '../../scripts/crd-check/cases.js';
import { checkCases } from '../../scripts/crd-check/run.js';
import { CrdSchemas, DEFAULT_CRD_DIR } from '../../scripts/crd-check/schemas.js';

/**
 * The calico role's resources against the upstream CRD schemas
 * (../shared/reference/crds, present beside developers' and CI's clones).
 * Without that folder these tests are skipped, and their name says why.
 */
const available = CrdSchemas.available();
const why = available ? '' : ` — SKIPPED: ${DEFAULT_CRD_DIR} does not exist (a user's clone has no ../shared)`;
if (!available) console.warn(`calico CRD schema tests${why}`);

describe.skipIf(!available)(`calico resources against the upstream CRD schemas${why}`, () => {
  const schemas = available ? new CrdSchemas() : undefined;

  it('every resource of every representative var set (seeds 000, 001, 002 among them) passes', () => {
    const report = checkCases(schemas!, calicoCases, 'calico');
    expect(report.lines.filter((l) => l.startsWith('FAIL')), report.lines.join('\n')).toEqual([]);
    expect(report.passed).toBeGreaterThanOrEqual(18);
    // the APIServer has no CRD in the reference folder: reported as not checked, never as passed
    expect(report.lines.filter((l) => l.startsWith('SKIP')).every((l) => l.includes('APIServer'))).toBe(true);
  });

  it('catches a broken resource: an invalid encapsulation, a misspelt field, a string AS number', () => {
    const broken = {
      apiVersion: 'operator.tigera.io/v1',
      kind: 'Installation',
      metadata: { name: 'default' },
      spec: { calicoNetwork: { ipPools: [{ cidr: '192.168.0.0/16', encapsulation: 'GRE', natOutgoing: 'Enabled', blockSize: 26 }] } },
    };
    const v = schemas!.check(broken);
    expect(v.ok).toBe(false);
    expect(v.errors).toEqual(['spec.calicoNetwork.ipPools.0.encapsulation: must be equal to one of the allowed values (IPIPCrossSubnet, IPIP, VXLAN, VXLANCrossSubnet, None)']);
    expect(schemas!.check({ ...broken, spec: { calicoNetwork: { ipPools: [{ cidr: '192.168.0.0/16', encapsulaton: 'IPIP' }] } } }).errors).toEqual([
      'spec.calicoNetwork.ipPools.0: must NOT have additional properties (encapsulaton)',
    ]);
    expect(schemas!.check({ apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPPeer', metadata: { name: 'r' }, spec: { peerIP: '10.0.0.1', asNumber: '64500' } }).errors).toEqual([
      'spec.asNumber: must be integer',
    ]);
  });

  it('checks scope and served versions', () => {
    expect(schemas!.check({ apiVersion: 'crd.projectcalico.org/v1', kind: 'BGPPeer', metadata: { name: 'r', namespace: 'default' }, spec: {} }).errors).toEqual([
      'metadata.namespace: bgppeers.crd.projectcalico.org is cluster-scoped: no namespace',
    ]);
    expect(schemas!.check({ apiVersion: 'crd.projectcalico.org/v3', kind: 'BGPPeer', metadata: { name: 'r' } }).errors[0]).toContain('no served CRD version crd.projectcalico.org/v3 for BGPPeer');
  });

  it('npm run check:crds: one line per resource, a summary, exit 0', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/check-crds.ts'], { cwd: new URL('../..', import.meta.url).pathname });
    const lines = stdout.trim().split('\n');
    expect(lines.filter((l) => /^(ok|FAIL|SKIP) /.test(l)).length).toBeGreaterThanOrEqual(30);
    expect(lines.at(-1)).toMatch(/^check:crds: \d+ resources: \d+ passed, 0 failed, \d+ not checked/);
  });
});

describe('check:crds without the reference folder', () => {
  it('says it SKIPPED and why, and exits 0', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'scripts/check-crds.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, LABWRIGHT_CRD_DIR: '/nonexistent/crds' },
    });
    expect(stdout).toContain('check:crds SKIPPED: /nonexistent/crds does not exist');
    expect(stdout).toContain('nothing was validated');
  });
});

import { objectRef, type K8sObject } from '../../src/ops/kubectl.js';
import type { Case } from './cases.js';
import type { CrdSchemas } from './schemas.js';

/**
 * Kinds the roles emit that have no CRD in the reference folder: reported as
 * not checked (never as passed).
 */
const NOT_IN_REFERENCE: Record<string, string> = {
  'operator.tigera.io/v1 APIServer': 'no CRD for it in the reference folder (its spec is empty)',
  'cilium.io/v2 CiliumBGPPeerConfig': 'its CRD is not vendored in test/fixtures/cilium (see PROVENANCE.md)',
  'cilium.io/v2 CiliumBGPAdvertisement': 'its CRD is not vendored in test/fixtures/cilium (see PROVENANCE.md)',
};

/**
 * projectcalico.org/v3 is served by Calico's API server, not by a CRD; the
 * crd.projectcalico.org/v1 CRDs are generated from the same v3 Go types, so
 * a v3 object's spec is checked against the v1 schema.
 */
function schemaView(o: K8sObject): { object: K8sObject; note?: string } {
  if (o.apiVersion === 'projectcalico.org/v3') {
    return { object: { ...o, apiVersion: 'crd.projectcalico.org/v1' }, note: 'v3 checked against the crd.projectcalico.org/v1 schema (same spec types)' };
  }
  return { object: o };
}

export interface CheckReport {
  lines: string[];
  passed: number;
  failed: number;
  unchecked: number;
  celRules: number;
}

export function checkCases(schemas: CrdSchemas, cases: readonly Case[], role: string): CheckReport {
  const report: CheckReport = { lines: [], passed: 0, failed: 0, unchecked: 0, celRules: 0 };
  for (const c of cases) {
    let objects: K8sObject[];
    try {
      objects = c.render();
    } catch (e) {
      report.failed++;
      report.lines.push(`FAIL  ${role}: ${c.name}: rendering failed: ${(e as Error).message}`);
      continue;
    }
    for (const o of objects) {
      const label = `${role}: ${c.name}: ${o.apiVersion} ${objectRef(o)}`;
      const skip = NOT_IN_REFERENCE[`${o.apiVersion} ${o.kind}`];
      if (skip) {
        report.unchecked++;
        report.lines.push(`SKIP  ${label} — not checked: ${skip}`);
        continue;
      }
      const view = schemaView(o);
      const v = schemas.check(view.object);
      report.celRules += v.celRules;
      const notes = [view.note, v.celRules > 0 ? `${v.celRules} CEL rule(s) not evaluated` : undefined].filter(Boolean).join('; ');
      if (v.ok) {
        report.passed++;
        report.lines.push(`ok    ${label}${notes ? ` (${notes})` : ''}`);
      } else {
        report.failed++;
        report.lines.push(`FAIL  ${label}: ${v.errors.join('; ')}`);
      }
    }
  }
  return report;
}

export function summary(r: CheckReport): string {
  return `check:crds: ${r.passed + r.failed + r.unchecked} resources: ${r.passed} passed, ${r.failed} failed, ${r.unchecked} not checked (no reference CRD); ${r.celRules} CEL rules on set fields not evaluated (JSON Schema cannot)`;
}

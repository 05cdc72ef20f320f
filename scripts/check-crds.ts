/**
 * npm run check:crds — renders every resource the calico and metallb roles
 * generate for representative var sets (each seed's among them) and
 * validates each against the upstream CRD schema in ../shared/reference/crds.
 * Without that folder (a user's clone) it says it SKIPPED and exits 0.
 * The cilium role's resources are checked first, against the upstream CRDs
 * vendored in test/fixtures/cilium (always present).
 */
import { calicoCases, metallbCases } from './crd-check/cases.js';
import { CILIUM_CRD_DIR, ciliumCases } from './crd-check/cilium-cases.js';
import { checkCases, summary } from './crd-check/run.js';
import { CrdSchemas, DEFAULT_CRD_DIR } from './crd-check/schemas.js';

// Cilium's CRDs are vendored in the repository (test/fixtures/cilium): always checked
const ciliumSchemas = new CrdSchemas(CILIUM_CRD_DIR);
const cilium = checkCases(ciliumSchemas, ciliumCases, 'cilium');
for (const line of cilium.lines) console.log(line);
console.log(`${summary(cilium)} (${ciliumSchemas.size} CRD versions loaded from ${CILIUM_CRD_DIR})`);

const dir = process.env.LABWRIGHT_CRD_DIR ?? DEFAULT_CRD_DIR;
if (!CrdSchemas.available(dir)) {
  if (cilium.failed > 0) process.exit(1);
  console.log(`check:crds SKIPPED: ${dir} does not exist. The upstream CRD schemas live in ../shared/reference/crds beside developers' and CI's clones, not in a user's clone; nothing was validated.`);
  process.exit(0);
}
const schemas = new CrdSchemas(dir);
const calico = checkCases(schemas, calicoCases, 'calico');
const metallb = checkCases(schemas, metallbCases, 'metallb');
for (const line of [...calico.lines, ...metallb.lines]) console.log(line);
const total = {
  lines: [],
  passed: calico.passed + metallb.passed,
  failed: calico.failed + metallb.failed,
  unchecked: calico.unchecked + metallb.unchecked,
  celRules: calico.celRules + metallb.celRules,
};
console.log(`${summary(total)} (${schemas.size} CRD versions loaded from ${dir})`);
process.exit(total.failed + cilium.failed > 0 ? 1 : 0);

import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { isSecret } from '../secret.js';
import { objectRef, type K8sObject } from './kubectl.js';

/**
 * A user's Kubernetes objects as labwright reads and applies them: from
 * multi-document YAML (files, fetched manifests) or inventory values,
 * checked for the fields kubectl needs and for names that are safe anywhere
 * they go, labelled with the label that says which release owns them (the
 * only thing prune ever deletes by), put in install order.
 */

const apiVersion = z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/, 'an apiVersion such as v1, apps/v1 or argoproj.io/v1alpha1');
const kind = z.string().regex(/^[A-Z][A-Za-z0-9]{0,62}$/, 'a Kind such as Service or Deployment');
/** Object names: DNS subdomains, plus the ':' and '@' that RBAC names use (system:aggregate-to-admin). */
const objectName = z.string().regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9.:@]*[a-z0-9])?$/, 'a Kubernetes name (lower case letters, digits, "-", ".", ":"; at most 253)');
export const dnsLabel = z.string().regex(/^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS label (lower case letters, digits and "-", at most 63)');
const labelValue = z.string().regex(/^(?=.{0,63}$)([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, 'a label value');

const objectShape = z.looseObject({
  apiVersion,
  kind,
  metadata: z.looseObject({
    name: objectName,
    namespace: dnsLabel.optional(),
    labels: z.record(z.string(), labelValue).optional(),
  }),
});

/** An inventory value that must be one Kubernetes object (a map: unknown fields are the object's own). */
export const k8sObjectValue = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const r = objectShape.safeParse(value);
  if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

/** The owner label: `labwright.dev/managed-by=<release>`. */
export const OWNER_LABEL = 'labwright.dev/managed-by';

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(document)'}: ${i.message}`).join('; ');
}

/** Secrets of the inventory (`!secret`) written out as their value: the object goes to kubectl as it is. */
function revealed(v: unknown): unknown {
  if (isSecret(v)) return v.reveal();
  if (Array.isArray(v)) return v.map(revealed);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revealed(x)]));
  return v;
}

/** One object checked (where: "monitoring.yaml document 3"); throws naming where and what is wrong. */
export function checkObject(value: unknown, where: string): K8sObject {
  const r = objectShape.safeParse(value);
  if (!r.success) throw new Error(`${where}: not a Kubernetes object labwright can apply: ${describeIssues(r.error)}`);
  return revealed(r.data) as K8sObject;
}

/**
 * The objects of a multi-document YAML text: empty and comment-only documents
 * skipped, `kind: List` documents flattened into their items; a syntax error
 * or a document that is not an object names the source and document number.
 */
export function parseObjects(text: string, source: string): K8sObject[] {
  const out: K8sObject[] = [];
  parseAllDocuments(text, { prettyErrors: false }).forEach((doc, i) => {
    const where = `${source} document ${i + 1}`;
    if (doc.errors.length > 0) throw new Error(`${where}: YAML error: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    const o = value as { kind?: unknown; items?: unknown };
    if (o.kind === 'List' && Array.isArray(o.items)) {
      o.items.forEach((item, j) => out.push(checkObject(item, `${where} item ${j + 1}`)));
      return;
    }
    out.push(checkObject(value, where));
  });
  return out;
}

/** The API group of an object ('' for the core group). */
export function groupOf(o: Pick<K8sObject, 'apiVersion'>): string {
  return o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
}

/** The type as kubectl takes it: `deployment.apps`, `service` (core). */
export function typeName(o: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  const g = groupOf(o);
  return g ? `${o.kind.toLowerCase()}.${g}` : o.kind.toLowerCase();
}

/**
 * What identifies an object across versions: group, kind, namespace, name.
 * An object declared without a namespace goes where kubectl puts it (the
 * kubeconfig's `default` namespace, or none for cluster-scoped kinds), so
 * its namespace reads as '' and live objects in `default` match it.
 */
export function objectKey(o: Pick<K8sObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const ns = o.metadata.namespace === 'default' ? '' : (o.metadata.namespace ?? '');
  return `${groupOf(o)}/${o.kind}/${ns}/${o.metadata.name}`;
}

/** The objects with the owner label set to `release`; an object that already gives it another value is refused. */
export function labelled(objects: readonly K8sObject[], release: string): K8sObject[] {
  return objects.map((o) => {
    const given = o.metadata.labels?.[OWNER_LABEL];
    if (given !== undefined && given !== release) {
      throw new Error(`${objectRef(o)}: its label ${OWNER_LABEL}=${given} says another release owns it; this is release ${release} (the label is labwright's own: remove it)`);
    }
    return { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, [OWNER_LABEL]: release } } };
  });
}

/** Refuses the same object declared twice in one release (the later one would silently win). */
export function assertUnique(objects: readonly K8sObject[], release: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const key = objectKey(o);
    if (seen.has(key)) throw new Error(`release ${release}: ${objectRef(o)} (${o.apiVersion}) is declared twice`);
    seen.add(key);
  }
}

const FIRST = ['Namespace', 'CustomResourceDefinition'];

/** Namespaces, then CRDs, then the rest in the order given (what kubectl needs to map and place each object). */
export function installOrder(objects: readonly K8sObject[]): K8sObject[] {
  const rank = (o: K8sObject) => (FIRST.includes(o.kind) ? FIRST.indexOf(o.kind) : FIRST.length);
  return objects.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map(({ o }) => o);
}

export const SECRET_MASK = '<masked>';

/**
 * An object as shown to people: a Secret's `data` and `stringData` values
 * replaced (by `<masked>`, or `<masked, changed>` where `other` holds another
 * value for the key, so a diff still tells which keys change).
 */
export function masked(o: Record<string, unknown>, other?: Record<string, unknown>): Record<string, unknown> {
  if (o.kind !== 'Secret') return o;
  const out = { ...o };
  for (const field of ['data', 'stringData']) {
    const values = o[field] as Record<string, unknown> | undefined;
    if (values === null || typeof values !== 'object') continue;
    const others = (other?.[field] ?? {}) as Record<string, unknown>;
    out[field] = Object.fromEntries(
      Object.keys(values).map((k) => [k, other && k in others && others[k] !== values[k] ? `${SECRET_MASK.slice(0, -1)}, changed>` : SECRET_MASK]),
    );
  }
  return out;
}

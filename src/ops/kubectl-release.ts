import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { defineFact } from '../facts/fact.js';
import { sh } from '../shell/quote.js';
import { assertUnique, installOrder, labelled, masked, objectKey, OWNER_LABEL, parseObjects, typeName } from './kube-objects.js';
import { APPLY_FLAGS, diffedObjects, firstLine, kubectl, kubectlDiff, kubectlLive, manifestYaml, objectRef, objectYaml, projectOnto, type K8sObject } from './kubectl.js';
import { change, fileDiff, ok, type Apply, type Change, type OpContext, type Op, type Plan } from './op.js';

/**
 * A release: a named set of Kubernetes objects applied together with
 * server-side apply, each labelled `labwright.dev/managed-by=<release>`.
 * Planned with `kubectl diff --server-side` (the manifests on stdin); the
 * shown diff is the live objects cut to the fields set here against the
 * objects applied, Secret values masked. With `prune`, objects carrying the
 * release's label that are no longer declared are deleted, and only those:
 * the candidates are listed by the label selector, and each one's label is
 * checked again before it is named for deletion. The types to look in are
 * those declared now plus those recorded on the host by the last run
 * (`record`), so an object whose kind left the release is still found.
 */

/** Objects from the controller, or a manifest file on the host (fetched by an earlier task) checked against its sha256. */
export type ReleaseSource = { objects: readonly K8sObject[] } | { hostFile: string; sha256: string; what: string };

export interface ReleaseArgs {
  kubeconfig: string;
  release: string;
  sources: readonly ReleaseSource[];
  prune: boolean;
  /** File on the host recording the types the release applied (one per line). */
  record: string;
}

/** A text file on the host; undefined when it is not there. */
export const hostText = defineFact('host-text', (path: string) => ({
  command: sh`cat ${path} 2>/dev/null`,
  parse: ({ stdout, code }): string | undefined => (code === 0 ? stdout : undefined),
}));

export interface LabelledObjects {
  objects: K8sObject[];
  /** kubectl's error, when it could not list (the type does not exist: nothing to find). */
  error?: string;
}

/** The objects of one type, in every namespace, that carry a label (kubectl get -A -l …). */
export const kubectlLabelled = defineFact('kubectl-labelled', (kubeconfig: string, type: string, selector: string) => ({
  command: sh`${kubectl(kubeconfig)} get ${type} --all-namespaces -l ${selector} -o yaml 2>&1`,
  parse: ({ stdout, code }): LabelledObjects => (code === 0 ? { objects: liveObjects(stdout) } : { objects: [], error: stdout.trim() || `exit ${code}` }),
}));

/** Objects in kubectl's YAML output: documents, and the items of `kind: List` documents. */
export function liveObjects(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    const v = doc.toJS() as { kind?: string; items?: K8sObject[] } | null;
    if (v === null || typeof v !== 'object') return [];
    if (v.kind === 'List') return v.items ?? [];
    return [v as K8sObject];
  });
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The declared objects (labelled, install order), or the host files not there yet. */
async function declared(ctx: OpContext, args: ReleaseArgs): Promise<{ objects: K8sObject[]; missing: string[] }> {
  const objects: K8sObject[] = [];
  const missing: string[] = [];
  for (const source of args.sources) {
    if ('objects' in source) {
      objects.push(...source.objects);
      continue;
    }
    const text = await ctx.fact(hostText(source.hostFile));
    if (text === undefined) {
      missing.push(source.what);
      continue;
    }
    if (sha256(text) !== source.sha256) throw new Error(`${source.what} (${source.hostFile} on the host): sha256 is ${sha256(text)}, expected ${source.sha256}`);
    objects.push(...parseObjects(text, source.what));
  }
  const owned = installOrder(labelled(objects, args.release));
  assertUnique(owned, args.release);
  return { objects: owned, missing };
}

/** Labelled objects no longer declared: the prune candidates (types that no longer exist hold none). */
async function strays(ctx: OpContext, args: ReleaseArgs, types: readonly string[], keep: ReadonlySet<string>): Promise<K8sObject[]> {
  const selector = `${OWNER_LABEL}=${args.release}`;
  const found = await Promise.all(types.map((t) => ctx.fact(kubectlLabelled(args.kubeconfig, t, selector))));
  return found.flatMap((f, i) => {
    if (f.error !== undefined) {
      if (/doesn't have a resource type|no matches for kind/.test(f.error)) return [];
      throw new Error(`release ${args.release}: cannot list ${types[i]} labelled ${selector} to prune: ${firstLine(f.error)}`);
    }
    return f.objects.filter(
      (o) => o.metadata?.labels?.[OWNER_LABEL] === args.release && !(o.metadata as { deletionTimestamp?: string }).deletionTimestamp && !keep.has(objectKey(o)),
    );
  });
}

/** Namespaced objects first, namespaces last: what is inside goes before what holds it. */
function deleteOrder(objects: readonly K8sObject[]): K8sObject[] {
  const rank = (o: K8sObject) => (o.kind === 'Namespace' ? 2 : o.metadata.namespace ? 0 : 1);
  return [...objects].sort((a, b) => rank(a) - rank(b));
}

/** What is shown of the objects that change: the live object cut to the fields set here, against the object; Secret values masked. */
function shownChanges(wanted: readonly K8sObject[], liveText: string): Change[] {
  const live = new Map(liveObjects(liveText).map((o) => [objectKey(o), o as unknown as Record<string, unknown>]));
  return wanted.flatMap((want) => {
    const found = live.get(objectKey(want));
    const before = found ? masked(projectOnto(found, want) as Record<string, unknown>) : undefined;
    const after = masked(want as unknown as Record<string, unknown>, before && (projectOnto(found, want) as Record<string, unknown>));
    const afterText = objectYaml(after);
    const beforeText = before ? objectYaml(before) : null;
    if (beforeText === afterText) return [];
    // a Secret's values are masked in both texts: its diff shows which keys change, never a value
    return [{ summary: `server-side apply ${objectRef(want)}${found ? '' : ' (new)'}`, diff: fileDiff(objectRef(want), beforeText, afterText) }];
  });
}

/** The release applied server-side, strays pruned, the applied types recorded (see the module comment). */
export function kubectlApplyRelease(args: ReleaseArgs): Op {
  const recordFact = hostText(args.record);
  return {
    label: `apply release ${args.release}`,
    facts: [recordFact, ...args.sources.flatMap((s) => ('hostFile' in s ? [hostText(s.hostFile)] : []))],
    async plan(ctx): Promise<Plan> {
      const { objects, missing } = await declared(ctx, args);
      if (missing.length > 0) {
        const summary = `server-side apply release ${args.release}: ${objects.length} object(s) known; ${missing.join(', ')} not on the host yet (an earlier task fetches it): cannot diff`;
        return {
          kind: 'unpredictable',
          changes: [{ summary }],
          apply: async () => {
            throw new Error(`release ${args.release}: ${missing.join(', ')} is still not on the host`);
          },
        };
      }
      const yaml = manifestYaml(objects);
      const types = [...new Set(objects.map(typeName))].sort();
      const recorded = ((await ctx.fact(recordFact)) ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
      // nothing declared (a release being removed with prune): nothing to diff or apply, kubectl refuses an empty input
      const diff = objects.length === 0 ? { code: 0, output: '' } : await ctx.fact(kubectlDiff(args.kubeconfig, { yaml }));
      const pruned = args.prune ? deleteOrder(await strays(ctx, args, [...new Set([...recorded, ...types])].sort(), new Set(objects.map(objectKey)))) : [];
      const recordStale = recorded.join('\n') !== types.join('\n');
      if (diff.code === 0 && pruned.length === 0 && !recordStale) return ok(`release ${args.release}: ${objects.length} object(s), no differences (kubectl diff --server-side)`);

      const changes: Change[] = [];
      if (diff.code !== 0) {
        const shown = diff.code === 1 ? shownChanges(objects, await ctx.fact(kubectlLive(args.kubeconfig, yaml))) : [];
        const outside = diffedObjects(diff.output).join(', ');
        if (diff.code > 1) changes.push({ summary: `server-side apply release ${args.release} (${objects.length} object(s)); cannot diff yet: ${firstLine(diff.output)}` });
        else if (shown.length > 0) changes.push(...shown);
        else changes.push({ summary: `server-side apply release ${args.release}: differences outside the fields set here${outside ? ` (${outside})` : ''}` });
      }
      for (const o of pruned) changes.push({ summary: `delete ${objectRef(o)} (prune: labelled ${OWNER_LABEL}=${args.release}, no longer declared)` });
      if (recordStale) changes.push({ summary: `record the types of release ${args.release} in ${args.record} (${types.join(', ')})` });

      const apply: Apply = async (c) => {
        if (diff.code !== 0) await c.run(sh`${kubectl(args.kubeconfig)} apply ${APPLY_FLAGS} -f -`, { stdin: yaml });
        for (const o of pruned) {
          const flags = [...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []), '--ignore-not-found', '--wait=false'];
          await c.run(sh`${kubectl(args.kubeconfig)} delete ${typeName(o)} ${o.metadata.name} ${flags}`);
        }
        if (recordStale) await c.run(sh`mkdir -p ${posix.dirname(args.record)} && cat > ${args.record}`, { stdin: `${types.join('\n')}\n` });
      };
      return diff.code > 1 ? { kind: 'unpredictable', changes, apply } : change(changes, apply);
    },
  };
}

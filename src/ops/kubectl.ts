import { parseAllDocuments, stringify } from 'yaml';
import { pathExists } from '../facts/builtin.js';
import { defineFact } from '../facts/fact.js';
import { Command, sh } from '../shell/quote.js';
import { change, fileDiff, ok, type Apply, type Change, type Op, type Plan } from './op.js';

/**
 * Kubernetes objects applied with `kubectl apply --server-side`, planned with
 * `kubectl diff --server-side` (exit 0 = no differences, 1 = differences,
 * >1 = kubectl failed), on the host that holds the kubeconfig (a control
 * plane with /etc/kubernetes/admin.conf). Server-side apply, never
 * client-side: the big CRDs of Calico's operator overflow the 256 KiB
 * last-applied annotation of client-side apply.
 *
 * The shown diff is the live object cut down to the fields we set (before)
 * against the object we apply (after), so a plan shows exactly the managed
 * fields; whether anything changes is decided by the API server's own diff.
 */

/** The field manager that owns what labwright applies (visible in `kubectl get -o yaml --show-managed-fields`). */
export const FIELD_MANAGER = 'labwright';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Any Kubernetes object; roles model their kinds as subtypes with a typed `spec`. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
}

/** "IPAddressPool metallb-system/lan", "Installation default". */
export function objectRef(o: Pick<K8sObject, 'kind' | 'metadata'>): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** One object as YAML (block style, no line folding: what the API server and the stand-in read). */
export function objectYaml(o: object): string {
  return stringify(o, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Several objects as one multi-document YAML manifest. */
export function manifestYaml(objects: readonly K8sObject[]): string {
  return objects.map(objectYaml).join('---\n');
}

/** `kubectl --kubeconfig FILE` */
export function kubectl(kubeconfig: string): Command {
  return sh`kubectl --kubeconfig ${kubeconfig}`;
}

/** Server-side apply (and its diff) as labwright's field manager, taking over fields another manager set. */
export const APPLY_FLAGS = ['--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`];

/** What to apply: one object (sent on stdin), a manifest file on the host, or a kustomization directory on the host. */
export type ApplySource = { yaml: string } | { file: string } | { kustomize: string };

function sourceArgs(source: ApplySource): Command {
  if ('yaml' in source) return sh`-f -`;
  if ('file' in source) return sh`-f ${source.file}`;
  return sh`-k ${source.kustomize}`;
}

export interface DiffResult {
  /** kubectl diff's exit code: 0 no differences, 1 differences, >1 kubectl failed. */
  code: number;
  /** Its output (stdout and stderr). */
  output: string;
}

/** `kubectl diff --server-side` of a source against the cluster. */
export const kubectlDiff = defineFact('kubectl-diff', (kubeconfig: string, source: ApplySource) => ({
  // an object on stdin, never on the command line (128 KiB limit; it may hold secrets)
  command: sh`${kubectl(kubeconfig)} diff ${APPLY_FLAGS} ${sourceArgs(source)} 2>&1`,
  stdin: 'yaml' in source ? source.yaml : undefined,
  parse: ({ stdout, code }): DiffResult => ({ code: code ?? -1, output: stdout }),
}));

/** The live object(s) named by a YAML source, as YAML; '' when absent or not readable (kind unknown yet). */
export const kubectlLive = defineFact('kubectl-live', (kubeconfig: string, yaml: string) => ({
  command: sh`${kubectl(kubeconfig)} get -f - -o yaml --ignore-not-found`,
  stdin: yaml,
  parse: ({ stdout, code }): string => (code === 0 ? stdout : ''),
}));

/**
 * `live` cut down to the shape of `want`: only keys `want` has, recursively
 * (lists element by element), so server-set fields (status, managedFields,
 * defaults) stay out of the shown diff.
 */
export function projectOnto(live: unknown, want: unknown): unknown {
  if (Array.isArray(want)) {
    if (!Array.isArray(live)) return live;
    return live.map((item, i) => (i < want.length ? projectOnto(item, want[i]) : item));
  }
  if (want !== null && typeof want === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return live;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(want)) {
      if (key in (live as Record<string, unknown>)) out[key] = projectOnto((live as Record<string, unknown>)[key], (want as Record<string, unknown>)[key]);
    }
    return out;
  }
  return live;
}

/** The first document of a YAML text as data (undefined when empty). */
function firstDocument(text: string): unknown {
  const docs = parseAllDocuments(text);
  if (Array.isArray(docs) && docs.length > 0) return docs[0].toJS();
  return undefined;
}

/** The first non-empty line of a command's output (for one-line reasons). */
export function firstLine(s: string): string {
  return s.trim().split('\n').find((l) => l.trim() !== '')?.trim() ?? '(no output)';
}

/** The objects a `kubectl diff` output names ("diff -u -N /tmp/LIVE-1/apps.v1.Deployment.ns.name /tmp/MERGED-2/…"). */
export function diffedObjects(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('diff '))
    .map((l) => l.trim().split(/\s+/).at(-1)!.split('/').at(-1)!)
    .filter(Boolean);
}

export interface ApplyObjectArgs {
  kubeconfig: string;
  object: K8sObject;
}

/** One object, server-side applied when the API server's diff says it differs. */
export function kubectlApply(args: ApplyObjectArgs): Op {
  const yaml = objectYaml(args.object);
  const ref = objectRef(args.object);
  const diffFact = kubectlDiff(args.kubeconfig, { yaml });
  const liveFact = kubectlLive(args.kubeconfig, yaml);
  const apply: Apply = async (ctx) => {
    await ctx.run(sh`${kubectl(args.kubeconfig)} apply ${APPLY_FLAGS} -f -`, { stdin: yaml });
  };
  return {
    label: `kubectl apply ${ref}`,
    facts: [diffFact, liveFact],
    async plan(ctx): Promise<Plan> {
      const diff = await ctx.fact(diffFact);
      if (diff.code === 0) return ok(`${ref}: no differences (kubectl diff --server-side)`);
      const live = firstDocument(await ctx.fact(liveFact)) as Record<string, unknown> | undefined;
      const before = live ? objectYaml(projectOnto(live, args.object) as object) : null;
      const shown: Change = {
        summary: `server-side apply ${ref}${live ? '' : ' (new)'}${before === yaml ? ' (differences outside the fields set here)' : ''}`,
        diff: fileDiff(ref, before, yaml),
      };
      if (diff.code === 1) return change(shown, apply);
      return {
        kind: 'unpredictable',
        changes: [{ ...shown, summary: `${shown.summary}; cannot diff yet: ${firstLine(diff.output)}` }],
        apply,
      };
    },
  };
}

export interface GuardArgs extends ApplyObjectArgs {
  /**
   * Why the live object (if any) may not become `want` — a change the API
   * would accept but that breaks the cluster, such as an IP pool's CIDR
   * changed under running pods — or undefined when it may.
   */
  refuse: (live: Record<string, unknown> | undefined, want: K8sObject) => string | undefined;
}

/**
 * A refusal as an op of its own, placed before the steps of a change: fails
 * (in check mode and apply alike) when the live object may not become
 * `object`, so nothing of the change is written; ok otherwise.
 */
export function kubectlGuard(args: GuardArgs): Op {
  const yaml = objectYaml(args.object);
  const ref = objectRef(args.object);
  const liveFact = kubectlLive(args.kubeconfig, yaml);
  return {
    label: `check ${ref}`,
    facts: [liveFact],
    async plan(ctx) {
      const live = firstDocument(await ctx.fact(liveFact)) as Record<string, unknown> | undefined;
      const refusal = args.refuse(live, args.object);
      if (refusal) throw new Error(`${ref}: ${refusal}`);
      return ok(`${ref}: ${live ? 'the change is allowed' : 'not in the cluster yet'}`);
    },
  };
}

export interface ApplyManifestArgs {
  kubeconfig: string;
  /** A manifest file or a kustomization directory on the host (put there by an earlier task). */
  source: { file: string } | { kustomize: string };
}

/** A vendor manifest on the host (or a kustomization of it), server-side applied when it differs from the cluster. */
export function kubectlApplyManifest(args: ApplyManifestArgs): Op {
  const path = 'file' in args.source ? args.source.file : args.source.kustomize;
  const what = 'file' in args.source ? path : `kustomization ${path}`;
  const there = pathExists(path);
  const diffFact = kubectlDiff(args.kubeconfig, args.source);
  const apply: Apply = async (ctx) => {
    await ctx.run(sh`${kubectl(args.kubeconfig)} apply ${APPLY_FLAGS} ${sourceArgs(args.source)}`);
  };
  return {
    label: `kubectl apply ${what}`,
    facts: [there, diffFact],
    async plan(ctx): Promise<Plan> {
      if (!(await ctx.fact(there))) {
        return { kind: 'unpredictable', changes: [{ summary: `server-side apply ${what} (not on the host yet: an earlier task puts it there; cannot diff)` }], apply };
      }
      const diff = await ctx.fact(diffFact);
      if (diff.code === 0) return ok(`${what}: no differences (kubectl diff --server-side)`);
      if (diff.code === 1) {
        const objects = diffedObjects(diff.output);
        const changes = objects.length > 0
          ? objects.map((o) => ({ summary: `server-side apply ${o} (from ${what})` }))
          : [{ summary: `server-side apply ${what}` }];
        return change(changes, apply);
      }
      return { kind: 'unpredictable', changes: [{ summary: `server-side apply ${what}; cannot diff yet: ${firstLine(diff.output)}` }], apply };
    },
  };
}

export interface WaitArgs {
  kubeconfig: string;
  /** `tigerastatus/calico`, `crd/installations.operator.tigera.io`, or a resource type with `selector`. */
  resource: string;
  namespace?: string;
  /** Label selector (`-l`), e.g. `app=metallb,component=controller`. */
  selector?: string;
  /** The condition, e.g. `Available`, `Ready`, `Established`. */
  condition: string;
  timeoutSeconds: number;
  /** What is awaited, for people: "the MetalLB controller (its webhook checks every pool)". */
  what: string;
  /** Where to look when it times out, e.g. `kubectl -n metallb-system get pods`. */
  hint: string;
}

function waitCommand(args: WaitArgs): Command {
  const ns = args.namespace ? sh`-n ${args.namespace}` : sh``;
  const sel = args.selector ? sh`-l ${args.selector}` : sh``;
  return sh`${kubectl(args.kubeconfig)} ${ns} wait --for=condition=${args.condition} ${args.resource} ${sel}`;
}

/** Whether the condition holds right now (kubectl wait with --timeout=0s checks once). */
export const kubectlCondition = defineFact('kubectl-condition', (args: WaitArgs) => ({
  command: sh`${waitCommand(args)} --timeout=0s`,
  parse: ({ code }) => code === 0,
}));

/**
 * Waits, bounded, until a condition holds: ok when it already does; otherwise
 * retries `kubectl wait` (which fails at once while the object does not exist
 * yet) until the deadline, then fails with a message naming what did not
 * become ready, kubectl's last answer, and where to look.
 */
export function kubectlWait(args: WaitArgs): Op {
  const ready = kubectlCondition(args);
  const target = `${args.resource}${args.selector ? ` -l ${args.selector}` : ''}${args.namespace ? ` in ${args.namespace}` : ''}`;
  const timedOut = `timed out after ${args.timeoutSeconds}s waiting for ${args.what} (${target}: condition ${args.condition}); look at: ${args.hint}`;
  const loop = sh`deadline=$(( $(date +%s) + ${args.timeoutSeconds} ))
while :; do
  left=$(( deadline - $(date +%s) ))
  if [ "$left" -le 0 ]; then printf '%s\\nlast answer: %s\\n' ${timedOut} "$out" >&2; exit 1; fi
  if out=$(${waitCommand(args)} --timeout="\${left}s" 2>&1); then exit 0; fi
  sleep 2
done`;
  return {
    label: `wait for ${args.what}`,
    facts: [ready],
    async plan(ctx) {
      if (await ctx.fact(ready)) return ok(`${args.what}: ${args.condition}`);
      return change({ summary: `wait up to ${args.timeoutSeconds}s for ${args.what} (${target}: ${args.condition})` }, async (c) => {
        // bounded by its own deadline, which may be longer than the default ceiling of a command
        await c.run(loop, { timeoutMs: (args.timeoutSeconds + 60) * 1000 });
      });
    },
  };
}

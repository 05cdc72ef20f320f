import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { defineFact, type Fact } from '../facts/fact.js';
import { MASK, containsSecret, isSecret } from '../secret.js';
import { Command, sh } from '../shell/quote.js';
import { objectYaml } from './kubectl.js';
import { change, fileDiff, ok, type Apply, type Change, type Op, type Plan } from './op.js';

/**
 * A Helm release: `helm upgrade --install` of a pinned chart version with
 * typed values, on the host that holds the kubeconfig (the first control
 * plane). The values (as JSON, which is YAML) travel on stdin into a temp
 * file (`--values FILE`), never on the command line (`ps`, 128 KiB limit,
 * secrets); Secret values are masked in every plan and diff.
 *
 * Planned from the release itself: `helm list -o json` gives its status and
 * chart (`cilium-1.17.6`), `helm get values -o json` the values it was
 * installed with. Both equal to what is wanted and the release `deployed`:
 * ok. Otherwise the plan names the version change and shows the values
 * diff; what that does to the cluster's objects comes from `helm diff
 * upgrade` when the helm-diff plugin is installed (one change per object),
 * and without it the plan says "would run (not predictable)".
 */

/** Helm's JSON values: plain data, Secrets at any leaf. */
export type HelmValues = { [key: string]: unknown };

export interface HelmReleaseArgs {
  /** Release name (a DNS label). */
  name: string;
  namespace: string;
  /** Chart name in `repo` (`cilium`), or a full `oci://` reference (then no `repo`). */
  chart: string;
  /** Chart repository URL (`https://helm.cilium.io/`), passed as `--repo`: no `helm repo add` state on the host. */
  repo?: string;
  /** The pinned chart version (`1.17.6`). */
  version: string;
  values: HelmValues;
  kubeconfig: string;
  /** `--create-namespace` (default true). */
  createNamespace?: boolean;
  /** `--wait --timeout Ns`: helm waits for the release's workloads (default: no wait). */
  waitSeconds?: number;
  /** The helm binary (default `helm` on PATH). */
  helm?: string;
}

/** One entry of `helm list -o json`. */
export interface ReleaseEntry {
  name: string;
  namespace: string;
  revision: string;
  status: string;
  chart: string;
  app_version?: string;
}

/** The deployed release as read from the host; `helm: false` when helm or the cluster cannot be asked. */
export type ReleaseState =
  | { helm: false; error: string }
  | { helm: true; release?: ReleaseEntry; values?: HelmValues };

/** Values with every Secret revealed: what goes into the values file. */
export function revealValues(v: unknown): unknown {
  if (isSecret(v)) return v.reveal();
  if (Array.isArray(v)) return v.map(revealValues);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revealValues(x)]));
  return v;
}

/**
 * Values as shown: the wanted ones with Secrets masked; `live` values with
 * the places where the wanted ones hold a Secret masked too (the old value
 * of a secret is no longer a known secret).
 */
export function maskValues(v: unknown, secretShape: unknown = v): unknown {
  if (isSecret(secretShape)) return MASK;
  if (Array.isArray(v)) return v.map((x, i) => maskValues(x, Array.isArray(secretShape) ? secretShape[i] : undefined));
  if (v !== null && typeof v === 'object') {
    const shape = secretShape !== null && typeof secretShape === 'object' ? (secretShape as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskValues(x, shape[k])]));
  }
  return v;
}

/** Chart name of a reference: `cilium` of `cilium`, `argo-cd` of `oci://ghcr.io/argoproj/argo-helm/argo-cd`. */
export function chartName(chart: string): string {
  return chart.split('/').at(-1)!;
}

function helmBin(args: HelmReleaseArgs): Command {
  return sh`${args.helm ?? 'helm'}`;
}

/** `--kubeconfig K -n NS`, common to every call. */
function scope(args: HelmReleaseArgs): Command {
  return sh`--kubeconfig ${args.kubeconfig} --namespace ${args.namespace}`;
}

/** `CHART [--repo URL] --version V`. */
function chartArgs(args: HelmReleaseArgs): Command {
  return args.repo ? sh`${args.chart} --repo ${args.repo} --version ${args.version}` : sh`${args.chart} --version ${args.version}`;
}

/** A script reading the values from stdin into a private temp file "$lw_values", removed on exit. */
function withValuesFile(body: Command): Command {
  return sh`set -e
lw_values=$(mktemp)
trap 'rm -f "$lw_values"' EXIT
cat > "$lw_values"
${body}`;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The release's status and values, in one read-only call (exit codes told apart: no helm, no cluster). */
export const helmRelease = defineFact('helm-release', (helm: string, kubeconfig: string, namespace: string, name: string) => {
  const bin = sh`${helm}`;
  const s = sh`--kubeconfig ${kubeconfig} --namespace ${namespace}`;
  return {
    command: sh`command -v ${bin} >/dev/null 2>&1 || { echo 'helm is not installed'; exit 3; }
list=$(${bin} list ${s} --all --filter ${`^${name}$`} -o json 2>&1) || { echo "$list"; exit 4; }
echo "$list"
echo '---'
${bin} get values ${name} ${s} -o json 2>/dev/null || echo null`,
    parse: ({ stdout, code }): ReleaseState => {
      if (code !== 0) return { helm: false, error: stdout.trim() || `exit ${code}` };
      const [list, values] = stdout.split('\n---\n');
      const release = (JSON.parse(list.trim() || '[]') as ReleaseEntry[]).find((r) => r.name === name);
      if (!release) return { helm: true };
      const parsed = JSON.parse(values?.trim() || 'null') as HelmValues | null;
      return { helm: true, release, values: parsed ?? {} };
    },
  };
});

/** Whether the helm-diff plugin is installed, and what `helm diff upgrade` says (exit 0 none, 2 changes). */
export interface HelmDiff {
  plugin: boolean;
  code?: number;
  output?: string;
}

/**
 * `helm diff upgrade --allow-unreleased --detailed-exitcode` of the wanted
 * release. The values (Secrets revealed) come on stdin; the fact's cache id
 * holds only their sha256, never the values.
 */
export function helmDiff(args: HelmReleaseArgs, valuesText: string): Fact<HelmDiff> {
  const bin = helmBin(args);
  return {
    id: `helm-diff(${JSON.stringify([args.helm ?? 'helm', args.kubeconfig, args.namespace, args.name, args.chart, args.repo, args.version, sha256(valuesText)])})`,
    command: sh`if ! ${bin} plugin list 2>/dev/null | grep -q '^diff[[:space:]]'; then echo no-plugin; exit 0; fi
${withValuesFile(sh`set +e
out=$(${bin} diff upgrade ${args.name} ${chartArgs(args)} ${scope(args)} --values "$lw_values" --allow-unreleased --detailed-exitcode --no-color 2>&1)
echo "exit=$?"
echo "$out"`)}`,
    stdin: valuesText,
    parse: ({ stdout }): HelmDiff => {
      if (stdout.trim() === 'no-plugin') return { plugin: false };
      const [first, ...rest] = stdout.split('\n');
      return { plugin: true, code: Number(first.replace('exit=', '')), output: rest.join('\n') };
    },
  };
}

/** The objects `helm diff` names: "kube-system, cilium, DaemonSet (apps) has changed:" → that line without the colon. */
export function helmDiffObjects(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\S.*, .*, .* has (changed|been added|been removed):$/.test(l))
    .map((l) => l.slice(0, -1));
}

function upgradeCommand(args: HelmReleaseArgs): Command {
  const create = args.createNamespace === false ? sh`` : sh`--create-namespace`;
  const wait = args.waitSeconds ? sh`--wait --timeout ${`${args.waitSeconds}s`}` : sh``;
  return withValuesFile(sh`${helmBin(args)} upgrade --install ${args.name} ${chartArgs(args)} ${scope(args)} ${create} --values "$lw_values" ${wait}`);
}

/** What differs between the deployed release and the wanted one ([] = nothing). */
export function releaseDifferences(state: Extract<ReleaseState, { helm: true }>, args: HelmReleaseArgs, wantValues: unknown): string[] {
  const ref = `${args.namespace}/${args.name}`;
  if (!state.release) return [`install release ${ref}: chart ${chartName(args.chart)} ${args.version}`];
  const want = `${chartName(args.chart)}-${args.version}`;
  const out: string[] = [];
  if (state.release.chart !== want) out.push(`upgrade release ${ref}: chart ${state.release.chart} → ${want}`);
  if (state.release.status !== 'deployed') out.push(`release ${ref} is ${state.release.status} (revision ${state.release.revision}): upgrade it again`);
  if (!isDeepStrictEqual(state.values ?? {}, wantValues)) out.push(`release ${ref}: values differ`);
  return out;
}

/** `helm upgrade --install` of one release (see the module comment). */
export function helmReleaseOp(args: HelmReleaseArgs): Op {
  const ref = `${args.namespace}/${args.name}`;
  const wantValues = revealValues(args.values);
  // JSON is YAML: helm reads it as is, and nothing in it is re-typed (no YAML 1.1 `yes`/`no` surprises)
  const valuesText = `${JSON.stringify(wantValues, null, 2)}\n`;
  const shownAfter = objectYaml(maskValues(args.values) as object);
  const stateFact = helmRelease(args.helm ?? 'helm', args.kubeconfig, args.namespace, args.name);
  const diffFact = helmDiff(args, valuesText);
  const apply: Apply = async (ctx) => {
    await ctx.run(upgradeCommand(args), { stdin: valuesText, timeoutMs: args.waitSeconds ? (args.waitSeconds + 120) * 1000 : undefined });
  };
  return {
    label: `helm release ${ref} (${chartName(args.chart)} ${args.version})`,
    facts: [stateFact],
    async plan(ctx): Promise<Plan> {
      const state = await ctx.fact(stateFact);
      if (!state.helm) {
        return {
          kind: 'unpredictable',
          changes: [{ summary: `helm upgrade --install ${ref} (chart ${chartName(args.chart)} ${args.version}); cannot read the release yet: ${state.error.split('\n')[0]}` }],
          apply,
        };
      }
      const differences = releaseDifferences(state, args, wantValues);
      if (differences.length === 0) return ok(`release ${ref}: chart ${state.release!.chart} deployed with the wanted values (helm list, helm get values)`);
      const before = state.release ? objectYaml(maskValues(state.values ?? {}, args.values) as object) : null;
      const valuesChange: Change = { summary: differences.join('; '), diff: fileDiff(`helm values ${ref}`, before, shownAfter, containsSecret(before)) };
      const diff = await ctx.fact(diffFact);
      if (!diff.plugin) {
        return { kind: 'unpredictable', changes: [{ ...valuesChange, summary: `${valuesChange.summary} (effect on the cluster's objects: not predictable without the helm-diff plugin)` }], apply };
      }
      if (diff.code === 0) return change([valuesChange, { summary: `helm diff: no object of ${ref} changes` }], apply);
      if (diff.code === 2) {
        const objects = helmDiffObjects(diff.output ?? '');
        return change([valuesChange, ...objects.map((o) => ({ summary: `helm diff: ${o}` }))], apply);
      }
      const why = (diff.output ?? '').trim().split('\n')[0] || `exit ${diff.code}`;
      return { kind: 'unpredictable', changes: [{ ...valuesChange, summary: `${valuesChange.summary}; helm diff failed: ${containsSecret(why) ? '(output holds a secret)' : why}` }], apply };
    },
  };
}

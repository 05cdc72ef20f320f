import { defineRole, type TaskContext } from '../../src/engine/definitions.js';
import { isFirstControlPlane } from '../../src/net/control-plane.js';
import { kubectlApplyRelease } from '../../src/ops/kubectl-release.js';
import { kubectlRollout } from '../../src/ops/kubectl-rollout.js';
import { kubectlWait } from '../../src/ops/kubectl.js';
import type { Op } from '../../src/ops/op.js';
import { nodePortClaims } from './claims.js';
import { fetchOps, recordPath, releaseSources } from './sources.js';
import { manifestsVars, type ManifestsVars, type ReleaseVars } from './vars.js';

type Ctx = TaskContext<ManifestsVars>;

/** kubectl runs once per cluster, on the first control plane, and only when there is something to apply. */
const onFirstControlPlane = ({ host, inventory, vars }: Ctx) => vars.releases.length > 0 && isFirstControlPlane(host, inventory);

/** A release's readiness waits, in order, each bounded. */
function waits(vars: ManifestsVars, release: ReleaseVars): Op[] {
  return release.wait.map((w) => {
    const timeoutSeconds = w.timeout ?? vars.wait_timeout;
    const ns = w.namespace ? `-n ${w.namespace} ` : '';
    if ('rollout' in w) {
      return kubectlRollout({ kubeconfig: vars.kubeconfig, resource: w.rollout, namespace: w.namespace, timeoutSeconds, hint: `kubectl ${ns}describe ${w.rollout}; kubectl ${ns}get pods` });
    }
    return kubectlWait({
      kubeconfig: vars.kubeconfig,
      resource: w.resource,
      namespace: w.namespace,
      selector: w.selector,
      condition: w.condition,
      timeoutSeconds,
      what: `${w.resource} of release ${release.name}`,
      hint: `kubectl ${ns}describe ${w.resource}${w.selector ? ` -l ${w.selector}` : ''}`,
    });
  });
}

/**
 * A user's Kubernetes objects (manifest files or directories on the
 * controller, https URLs pinned by sha256, objects written in the
 * inventory), grouped in releases and applied from the first control plane
 * with server-side apply, each object labelled with its release; `--check`
 * shows `kubectl diff --server-side` results as diffs (Secret values
 * masked); `prune` deletes what the release labelled before and no longer
 * declares; readiness waits are bounded.
 */
export const manifests = defineRole({
  name: 'manifests',
  vars: manifestsVars,
  // nodePorts of inventory Services as listeners on every node: the plan check refuses a clash
  addressPlan: ({ vars, host, inventory }) => nodePortClaims(vars, host, inventory),
  tasks: ({ task }) => [
    task('fetch pinned manifests', ({ vars }) => vars.releases.flatMap((r) => fetchOps(vars, r)), {
      when: (ctx) => onFirstControlPlane(ctx) && ctx.vars.releases.some((r) => r.sources.some((s) => 'url' in s)),
      tags: ['manifests:apply'],
    }),
    task(
      'apply releases (server-side apply, prune)',
      ({ vars }) => vars.releases.map((r) => kubectlApplyRelease({ kubeconfig: vars.kubeconfig, release: r.name, sources: releaseSources(vars, r), prune: r.prune, record: recordPath(vars, r) })),
      { when: onFirstControlPlane, tags: ['manifests:apply'] },
    ),
    task('wait for readiness', ({ vars }) => vars.releases.flatMap((r) => waits(vars, r)), {
      when: (ctx) => onFirstControlPlane(ctx) && ctx.vars.releases.some((r) => r.wait.length > 0),
      tags: ['manifests:wait'],
    }),
  ],
});

export default manifests;

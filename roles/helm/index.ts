import { defineRole, type TaskContext } from '../../src/engine/definitions.js';
import { isFirstControlPlane } from '../../src/net/control-plane.js';
import { helmBinary } from '../../src/ops/helm-binary.js';
import { helmReleaseOp, type HelmReleaseArgs } from '../../src/ops/helm-release.js';
import type { Op } from '../../src/ops/op.js';
import { helmVars, type HelmVars, type ReleaseVars } from './vars.js';

/**
 * The helm binary (pinned, sha256-checked) unless `install: false`. Shared
 * with the roles that install a chart (cilium), which read the same `helm:`
 * vars; an unset sha256 is an error naming the key, never a download taken
 * on trust.
 */
export function helmBinaryOps(vars: HelmVars): Op[] {
  if (!vars.install) return [];
  if (!vars.sha256) {
    throw new Error(
      `helm.sha256 is required to install helm ${vars.version}: set it to the sha256 of helm-${vars.version}-linux-ARCH.tar.gz ` +
        `(published beside it as https://get.helm.sh/helm-${vars.version}-linux-ARCH.tar.gz.sha256sum), or set helm.install: false when helm is installed otherwise`,
    );
  }
  return helmBinary({ version: vars.version, sha256: vars.sha256, url: vars.tarball_url, file: vars.tarball_file, arch: vars.arch });
}

/** One release of the vars as the engine's helm release op. */
export function releaseArgs(vars: HelmVars, r: ReleaseVars): HelmReleaseArgs {
  return {
    name: r.name,
    namespace: r.namespace,
    chart: r.chart,
    repo: r.repo,
    version: r.version,
    values: r.values,
    kubeconfig: vars.kubeconfig,
    createNamespace: r.create_namespace,
    waitSeconds: r.wait ? vars.wait_timeout : undefined,
  };
}

/** Helm acts once, from the first control plane (it holds admin.conf), and only with releases to install. */
const first = ({ host, inventory, vars }: TaskContext<HelmVars>) => vars.releases.length > 0 && isFirstControlPlane(host, inventory);

/**
 * Helm releases from the inventory (`helm.releases`), from the first control
 * plane: the helm binary at a pinned version (sha256 checked), then each
 * release with `helm upgrade --install` of its pinned chart version — ok when
 * `helm list` / `helm get values` already show that chart and those values.
 */
export const helm = defineRole({
  name: 'helm',
  vars: helmVars,
  tasks: ({ task }) => [
    task('helm binary', ({ vars }) => helmBinaryOps(vars), { when: first, tags: ['helm:install'] }),
    task(
      'releases (helm upgrade --install)',
      ({ vars }) => vars.releases.map((r) => helmReleaseOp(releaseArgs(vars, r))),
      { when: first, tags: ['helm:releases'] },
    ),
  ],
});

export default helm;

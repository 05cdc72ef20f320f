import { defineRole, type TaskContext } from '../../src/engine/definitions.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { clusterOf } from '../../src/net/cluster.js';
import { isFirstControlPlane } from '../../src/net/control-plane.js';
import { helmReleaseOp, type HelmReleaseArgs } from '../../src/ops/helm-release.js';
import { kubectlApply, kubectlApplyManifest } from '../../src/ops/kubectl.js';
import { kubectlRollout } from '../../src/ops/kubectl-rollout.js';
import { vendorManifest, vendorManifestPath, type VendorManifestArgs } from '../../src/ops/vendor-manifest.js';
import { helmBinaryOps } from '../helm/index.js';
import { helmOf } from '../helm/vars.js';
import { ciliumClaims, ciliumProblems, ciliumResources, ciliumValues } from './model.js';
import { ciliumDefaults, ciliumVars, type CiliumVars } from './vars.js';

/** The Gateway API standard CRDs of the pinned release (Cilium's Gateway API needs them before it starts). */
export function gatewayApiCrds(vars: CiliumVars): VendorManifestArgs {
  const g = vars.gateway_api;
  return {
    stem: 'gateway-api-standard-install',
    version: g.crds_version,
    url: g.crds_url ?? `https://github.com/kubernetes-sigs/gateway-api/releases/download/${g.crds_version}/standard-install.yaml`,
    file: g.crds_file,
    sha256: g.crds_sha256,
    dir: vars.state_dir,
  };
}

/** The Cilium release as the engine's helm op: chart `cilium` of the pinned version, the rendered values. */
export function ciliumRelease(vars: CiliumVars, host: Host, inventory: Inventory): HelmReleaseArgs {
  return { name: 'cilium', namespace: vars.namespace, chart: 'cilium', repo: vars.repo, version: vars.version, values: ciliumValues(vars, host, inventory), kubeconfig: vars.kubeconfig };
}

type Ctx = TaskContext<CiliumVars>;

/** Cilium is installed from the first control plane, and only where the cluster's CNI is Cilium. */
const first = ({ host, inventory }: Ctx) => isFirstControlPlane(host, inventory) && clusterOf(host).cni === 'cilium';

function checked(vars: CiliumVars, host: Host): CiliumVars {
  const problems = ciliumProblems(vars, host);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return vars;
}

/**
 * Cilium (`cluster.cni: cilium`) on a kubeadm cluster, from the first
 * control plane: the helm binary, the Gateway API CRDs when asked for, the
 * pinned Cilium chart with values rendered from typed vars and the inventory
 * (kube-proxy replacement at the control-plane endpoint, routing mode, pod
 * CIDR from `cluster.pod_subnet`, Hubble, Gateway API, L2/BGP), a bounded
 * wait until ds/cilium and deploy/cilium-operator have rolled out, then the
 * LoadBalancer pools and their announcement (the MetalLB alternative).
 */
export const cilium = defineRole({
  name: 'cilium',
  vars: ciliumVars,
  defaults: (host, inventory) => {
    const derived = ciliumDefaults(host, inventory);
    // refuse impossible combinations of the inventory before any host is touched
    if (host.vars.cilium !== undefined) {
      const fromInventory = ciliumVars.safeParse(host.vars.cilium);
      if (fromInventory.success) checked(fromInventory.data, host);
    }
    return derived;
  },
  // pools overlapping the pod/service networks, hosts, DHCP ranges or other pools are refused by the plan check
  addressPlan: ({ vars, host }) => (clusterOf(host).cni === 'cilium' ? ciliumClaims(vars) : []),
  tasks: ({ task }) => [
    task('helm binary', ({ host }) => helmBinaryOps(helmOf(host)), { when: first, tags: ['cilium:install'] }),
    task('Gateway API CRD manifest', ({ vars }) => vendorManifest(gatewayApiCrds(vars)), {
      when: (ctx) => first(ctx) && ctx.vars.gateway_api.enabled,
      tags: ['cilium:install'],
    }),
    task(
      'install the Gateway API CRDs (server-side apply)',
      ({ vars }) => kubectlApplyManifest({ kubeconfig: vars.kubeconfig, source: { file: vendorManifestPath(gatewayApiCrds(vars)) } }),
      { when: (ctx) => first(ctx) && ctx.vars.gateway_api.enabled, tags: ['cilium:install'] },
    ),
    task('install Cilium (helm upgrade --install)', ({ vars, host, inventory }) => helmReleaseOp(ciliumRelease(checked(vars, host), host, inventory)), {
      when: first,
      tags: ['cilium:install'],
    }),
    task(
      'wait for Cilium (daemonset/cilium, deployment/cilium-operator rolled out)',
      ({ vars }) =>
        ['daemonset/cilium', 'deployment/cilium-operator'].map((resource) =>
          kubectlRollout({
            kubeconfig: vars.kubeconfig,
            namespace: vars.namespace,
            resource,
            timeoutSeconds: vars.wait_timeout,
            hint: `kubectl -n ${vars.namespace} get pods -l app.kubernetes.io/part-of=cilium -o wide; kubectl -n ${vars.namespace} logs ${resource}`,
          }),
        ),
      { when: first, tags: ['cilium:install', 'cilium:lb'] },
    ),
    task('LoadBalancer pools and their announcement', ({ vars }) => ciliumResources(vars).map((object) => kubectlApply({ kubeconfig: vars.kubeconfig, object })), {
      when: (ctx) => first(ctx) && ctx.vars.load_balancer !== undefined,
      tags: ['cilium:lb'],
    }),
  ],
});

export default cilium;

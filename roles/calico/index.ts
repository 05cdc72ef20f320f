import { posix } from 'node:path';
import { defineRole, type TaskContext } from '../../src/engine/definitions.js';
import { clusterOf } from '../../src/net/cluster.js';
import { isFirstControlPlane } from '../../src/net/control-plane.js';
import { file } from '../../src/ops/file.js';
import { kubectlApply, kubectlApplyManifest, kubectlGuard, kubectlWait, objectYaml, type K8sObject } from '../../src/ops/kubectl.js';
import { vendorManifest, vendorManifestPath, type VendorManifestArgs } from '../../src/ops/vendor-manifest.js';
import { calicoNodePatch, kustomization, PATCH_FILE } from './manifest-mode.js';
import { calicoClaims, calicoModel, nodeAddressAutodetection } from './model.js';
import { calicoDefaults, calicoVars, type CalicoVars } from './vars.js';

/** The vendor manifest of the mode: tigera-operator.yaml or calico.yaml of the pinned release (or the user's). */
export function manifestSource(vars: CalicoVars): VendorManifestArgs {
  const stem = vars.mode === 'operator' ? 'tigera-operator' : 'calico';
  return {
    stem,
    version: vars.version,
    url: vars.manifest_url ?? `https://raw.githubusercontent.com/projectcalico/calico/${vars.version}/manifests/${stem}.yaml`,
    file: vars.manifest_file,
    sha256: vars.manifest_sha256,
    dir: vars.state_dir,
  };
}

type Ctx = TaskContext<CalicoVars>;

/** A pool in use keeps its CIDR: Calico cannot renumber running pods. */
const keepsCidr = (live: Record<string, unknown> | undefined, want: K8sObject): string | undefined => {
  const liveCidr = (live?.spec as { cidr?: string } | undefined)?.cidr;
  const wantCidr = (want.spec as { cidr: string }).cidr;
  return liveCidr && liveCidr !== wantCidr
    ? `its CIDR is ${liveCidr}, the vars say ${wantCidr}: changing a pool's CIDR under running pods breaks their addresses; add a new pool, migrate, then delete the old one (Calico docs: "Migrate from one IP pool to another")`
    : undefined;
};
/** Calico is installed from the first control plane, and only where the cluster's CNI is Calico. */
const first = ({ host, inventory }: Ctx) => isFirstControlPlane(host, inventory) && clusterOf(host).cni === 'calico';
const operator = (ctx: Ctx) => first(ctx) && ctx.vars.mode === 'operator';
const manifest = (ctx: Ctx) => first(ctx) && ctx.vars.mode === 'manifest';

/**
 * Calico on a kubeadm cluster, from the first control plane. Operator mode:
 * tigera-operator.yaml (server-side apply: its CRDs are too big for
 * client-side apply), a bounded wait for its CRDs, the Installation with the
 * pools derived from `cluster.pod_subnet`, a bounded wait until the operator
 * reports Calico Available, then BGP configuration and peers. Manifest mode:
 * calico.yaml through a kustomization that sets calico-node's
 * CALICO_IPV4POOL_* variables, a wait for calico-node, IPPools, BGP.
 */
export const calico = defineRole({
  name: 'calico',
  vars: calicoVars,
  defaults: (host, inventory) => {
    const derived = calicoDefaults(host, inventory);
    // refuse impossible pools/BGP settings of the inventory before any host is touched
    const fromInventory = calicoVars.safeParse({ ...derived, ...((host.vars.calico as object | undefined) ?? {}) });
    if (fromInventory.success) calicoModel(fromInventory.data, host);
    return derived;
  },
  // pools outside the pod network are refused by the plan check before any host is touched
  addressPlan: ({ vars, host }) => (clusterOf(host).cni === 'calico' ? calicoClaims(vars, clusterOf(host)) : []),
  tasks: ({ task }) => [
    task(
      'IP pools in the cluster keep their CIDR',
      ({ vars, host }) => calicoModel(vars, host).ipPools.map((object) => kubectlGuard({ kubeconfig: vars.kubeconfig, object, refuse: keepsCidr })),
      { when: first, tags: ['calico:install', 'calico:pools'] },
    ),
    task('Calico manifest on the first control plane', ({ vars }) => vendorManifest(manifestSource(vars)), {
      when: first,
      tags: ['calico:install'],
    }),
    task(
      'install the Tigera operator (server-side apply)',
      ({ vars }) => kubectlApplyManifest({ kubeconfig: vars.kubeconfig, source: { file: vendorManifestPath(manifestSource(vars)) } }),
      { when: operator, tags: ['calico:install'] },
    ),
    task(
      'kustomization setting the calico-node pool variables',
      ({ vars, host }) => {
        const model = calicoModel(vars, host);
        return [
          file({ path: posix.join(vars.state_dir, 'kustomization.yaml'), content: objectYaml(kustomization(posix.basename(vendorManifestPath(manifestSource(vars))))), mode: '0644' }),
          file({ path: posix.join(vars.state_dir, PATCH_FILE), content: objectYaml(calicoNodePatch(model.pools[0], nodeAddressAutodetection(vars))), mode: '0644' }),
        ];
      },
      { when: manifest, tags: ['calico:install', 'calico:pools'] },
    ),
    task(
      'install Calico (calico.yaml + pool patch, server-side apply)',
      ({ vars }) => kubectlApplyManifest({ kubeconfig: vars.kubeconfig, source: { kustomize: vars.state_dir } }),
      { when: manifest, tags: ['calico:install', 'calico:pools'] },
    ),
    task(
      'wait for the operator\'s Installation CRD',
      ({ vars }) =>
        kubectlWait({
          kubeconfig: vars.kubeconfig,
          resource: 'crd/installations.operator.tigera.io',
          condition: 'Established',
          timeoutSeconds: vars.wait_timeout,
          what: 'the Installation CRD of the Tigera operator',
          hint: 'kubectl get crd installations.operator.tigera.io; kubectl -n tigera-operator get pods',
        }),
      { when: operator, tags: ['calico:install', 'calico:pools'] },
    ),
    task(
      'Installation (IP pools from cluster.pod_subnet)',
      ({ vars, host }) => calicoModel(vars, host).install.map((object) => kubectlApply({ kubeconfig: vars.kubeconfig, object })),
      { when: operator, tags: ['calico:pools'] },
    ),
    task(
      'wait for Calico to be available',
      ({ vars }) =>
        vars.mode === 'operator'
          ? kubectlWait({
              kubeconfig: vars.kubeconfig,
              resource: 'tigerastatus/calico',
              condition: 'Available',
              timeoutSeconds: vars.wait_timeout,
              what: 'Calico',
              hint: 'kubectl get tigerastatus; kubectl -n calico-system get pods; kubectl -n tigera-operator logs deploy/tigera-operator',
            })
          : kubectlWait({
              kubeconfig: vars.kubeconfig,
              resource: 'pod',
              namespace: 'kube-system',
              selector: 'k8s-app=calico-node',
              condition: 'Ready',
              timeoutSeconds: vars.wait_timeout,
              what: 'every calico-node pod',
              hint: 'kubectl -n kube-system get pods -l k8s-app=calico-node -o wide; kubectl -n kube-system logs ds/calico-node',
            }),
      { when: first, tags: ['calico:install', 'calico:pools', 'calico:bgp'] },
    ),
    task(
      'IP pools (IPPool resources)',
      ({ vars, host }) =>
        calicoModel(vars, host).ipPools.map((object) => kubectlApply({ kubeconfig: vars.kubeconfig, object })),
      { when: manifest, tags: ['calico:pools'] },
    ),
    task(
      'wait for the Calico API server (projectcalico.org/v3)',
      ({ vars }) =>
        kubectlWait({
          kubeconfig: vars.kubeconfig,
          resource: 'tigerastatus/apiserver',
          condition: 'Available',
          timeoutSeconds: vars.wait_timeout,
          what: 'the Calico API server',
          hint: 'kubectl get tigerastatus apiserver -o yaml; kubectl -n calico-apiserver get pods',
        }),
      { when: (ctx) => operator(ctx) && ctx.vars.resource_api === 'projectcalico.org/v3' && calicoModel(ctx.vars, ctx.host).bgpResources.length > 0, tags: ['calico:bgp'] },
    ),
    task(
      'BGP configuration and peers',
      ({ vars, host }) => calicoModel(vars, host).bgpResources.map((object) => kubectlApply({ kubeconfig: vars.kubeconfig, object })),
      { when: first, tags: ['calico:bgp'] },
    ),
  ],
});

export default calico;

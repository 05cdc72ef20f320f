import { defineRole } from '../../src/engine/definitions.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { isFirstControlPlane } from '../../src/net/control-plane.js';
import { kubectlApply, kubectlApplyManifest, kubectlWait } from '../../src/ops/kubectl.js';
import { vendorManifest, vendorManifestPath, type VendorManifestArgs } from '../../src/ops/vendor-manifest.js';
import { interfaces } from '../../src/facts/builtin.js';
import { fromFacts } from '../../src/ops/from-facts.js';
import { advertisements, assertNoBgpConflict, ipAddressPools, lanInterfaces, metallbClaims, NAMESPACE } from './model.js';
import { metallbDefaults, metallbOf, metallbVars, type MetallbVars } from './vars.js';

export { loadBalancerCidrs, poolCidrs } from './model.js';

/** Where the host fetches metallb-native.yaml from (the release's own manifest unless overridden). */
export function manifestSource(vars: MetallbVars): VendorManifestArgs {
  return {
    stem: 'metallb-native',
    version: vars.version,
    url: vars.manifest_url ?? `https://raw.githubusercontent.com/metallb/metallb/${vars.version}/config/manifests/metallb-native.yaml`,
    file: vars.manifest_file,
    sha256: vars.manifest_sha256,
    dir: vars.state_dir,
  };
}

/** MetalLB is installed from the first control plane, and only when the vars give it pools. */
const onFirstControlPlane = ({ host, inventory, vars }: { host: Host; inventory: Inventory; vars: MetallbVars }) =>
  vars.pools.length > 0 && isFirstControlPlane(host, inventory);

/**
 * MetalLB (>= 0.13, CRD configuration) on a kubeadm cluster, from the first
 * control plane: metallb-native.yaml server-side applied, a bounded wait for
 * the controller (its webhook validates every pool), then the IPAddressPools
 * and their announcement (L2Advertisement, or BGPPeer + BGPAdvertisement).
 * Pools overlapping the pod/service networks, each other, a DHCP range, a
 * host, a VIP or the gateway are refused by the plan check before any host is
 * touched (the role declares its pools as address claims).
 */
export const metallb = defineRole({
  name: 'metallb',
  vars: metallbVars,
  defaults: (host, inventory) => {
    // refuse a BGP session Calico already holds, up front (play params are checked again at the task)
    const fromInventory = metallbOf(host);
    if (fromInventory) assertNoBgpConflict(fromInventory, host);
    return metallbDefaults(host, inventory);
  },
  addressPlan: ({ vars, host }) => metallbClaims(vars, host),
  tasks: ({ task }) => [
    task('metallb-native.yaml on the first control plane', ({ vars }) => vendorManifest(manifestSource(vars)), {
      when: onFirstControlPlane,
      tags: ['metallb:install'],
    }),
    task(
      'install MetalLB (server-side apply)',
      ({ vars }) => kubectlApplyManifest({ kubeconfig: vars.kubeconfig, source: { file: vendorManifestPath(manifestSource(vars)) } }),
      { when: onFirstControlPlane, tags: ['metallb:install'] },
    ),
    task(
      'wait for the MetalLB controller',
      ({ vars }) =>
        kubectlWait({
          kubeconfig: vars.kubeconfig,
          resource: 'pod',
          namespace: NAMESPACE,
          selector: 'app=metallb,component=controller',
          condition: 'Ready',
          timeoutSeconds: vars.wait_timeout,
          what: 'the MetalLB controller, whose webhook validates every pool',
          hint: `kubectl -n ${NAMESPACE} get pods; kubectl -n ${NAMESPACE} describe deployment controller`,
        }),
      { when: onFirstControlPlane, tags: ['metallb:install', 'metallb:pools', 'metallb:advertisement'] },
    ),
    task(
      'address pools',
      ({ vars }) => ipAddressPools(vars).map((object) => kubectlApply({ kubeconfig: vars.kubeconfig, object })),
      { when: onFirstControlPlane, tags: ['metallb:pools'] },
    ),
    task(
      'announce the pools',
      ({ vars, host, inventory }) => {
        assertNoBgpConflict(vars, host);
        const ifaces = interfaces();
        return fromFacts('announce the pools', { facts: [ifaces], read: (ctx) => ctx.fact(ifaces) }, (found) =>
          advertisements(vars, lanInterfaces(host, inventory, found)).map((object) => kubectlApply({ kubeconfig: vars.kubeconfig, object })),
        );
      },
      { when: onFirstControlPlane, tags: ['metallb:advertisement'] },
    ),
  ],
});

export default metallb;

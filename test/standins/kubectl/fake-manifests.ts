import { manifestYaml, type K8sObject } from '../../../src/ops/kubectl.js';

/**
 * FAKE vendor manifests for the kubectl stand-in: a namespace, the CRDs the
 * roles' resources need (so the stand-in accepts their kinds) and a
 * deployment, in place of tigera-operator.yaml / calico.yaml /
 * metallb-native.yaml, which cannot be downloaded here. They are not the
 * upstream manifests and install nothing real.
 */

const HEADER = '# FAKE manifest for labwright lab tests with the kubectl stand-in: NOT the upstream manifest\n';

function crd(plural: string, group: string, kind: string, scope: 'Namespaced' | 'Cluster', version: string): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, plural },
      scope,
      versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
}

const namespace = (name: string): K8sObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

const deployment = (name: string, ns: string, labels: Record<string, string>): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns, labels },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: `example.invalid/${name}:fake` }] } } },
});

export function fakeTigeraOperator(): string {
  return HEADER + manifestYaml([
    namespace('tigera-operator'),
    crd('installations', 'operator.tigera.io', 'Installation', 'Cluster', 'v1'),
    crd('apiservers', 'operator.tigera.io', 'APIServer', 'Cluster', 'v1'),
    crd('tigerastatuses', 'operator.tigera.io', 'TigeraStatus', 'Cluster', 'v1'),
    crd('bgpconfigurations', 'crd.projectcalico.org', 'BGPConfiguration', 'Cluster', 'v1'),
    crd('bgppeers', 'crd.projectcalico.org', 'BGPPeer', 'Cluster', 'v1'),
    crd('ippools', 'crd.projectcalico.org', 'IPPool', 'Cluster', 'v1'),
    deployment('tigera-operator', 'tigera-operator', { name: 'tigera-operator' }),
  ]);
}

export function fakeCalicoManifest(): string {
  return HEADER + manifestYaml([
    crd('bgpconfigurations', 'crd.projectcalico.org', 'BGPConfiguration', 'Cluster', 'v1'),
    crd('bgppeers', 'crd.projectcalico.org', 'BGPPeer', 'Cluster', 'v1'),
    crd('ippools', 'crd.projectcalico.org', 'IPPool', 'Cluster', 'v1'),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'calico-node', namespace: 'kube-system' },
      spec: { template: { spec: { containers: [{ name: 'calico-node', image: 'example.invalid/calico-node:fake', env: [{ name: 'CALICO_IPV4POOL_IPIP', value: 'Always' }] }] } } },
    },
  ]);
}

export function fakeMetallbNative(): string {
  return HEADER + manifestYaml([
    namespace('metallb-system'),
    crd('ipaddresspools', 'metallb.io', 'IPAddressPool', 'Namespaced', 'v1beta1'),
    crd('l2advertisements', 'metallb.io', 'L2Advertisement', 'Namespaced', 'v1beta1'),
    crd('bgppeers', 'metallb.io', 'BGPPeer', 'Namespaced', 'v1beta2'),
    crd('bgpadvertisements', 'metallb.io', 'BGPAdvertisement', 'Namespaced', 'v1beta1'),
    deployment('controller', 'metallb-system', { app: 'metallb', component: 'controller' }),
  ]);
}

import { manifestYaml, type K8sObject } from '../../../src/ops/kubectl.js';

/**
 * FAKE chart contents for the helm stand-in: what it applies through the
 * kubectl stand-in on install, so the objects a chart would create exist
 * afterwards. Not the upstream chart; installs nothing real.
 */

const HEADER = '# FAKE chart manifest for labwright lab tests with the helm stand-in: NOT the upstream chart\n';

function crd(plural: string, kind: string, version: string): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.cilium.io` },
    spec: { group: 'cilium.io', names: { kind, plural }, scope: 'Cluster', versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  };
}

function workload(kind: 'DaemonSet' | 'Deployment', name: string): K8sObject {
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'cilium' };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'kube-system', labels },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image: `example.invalid/${name}:fake` }] } } },
  };
}

/** The Cilium chart's CRDs the role's resources need, ds/cilium and deploy/cilium-operator. */
export function fakeCiliumChart(): string {
  return HEADER + manifestYaml([
    crd('ciliumloadbalancerippools', 'CiliumLoadBalancerIPPool', 'v2'),
    crd('ciliuml2announcementpolicies', 'CiliumL2AnnouncementPolicy', 'v2alpha1'),
    crd('ciliumbgpclusterconfigs', 'CiliumBGPClusterConfig', 'v2'),
    crd('ciliumbgppeerconfigs', 'CiliumBGPPeerConfig', 'v2'),
    crd('ciliumbgpadvertisements', 'CiliumBGPAdvertisement', 'v2'),
    workload('DaemonSet', 'cilium'),
    workload('Deployment', 'cilium-operator'),
  ]);
}

import { stringify } from 'yaml';
import { checkDocument, type KubeletConfigurationFields } from './kubeadm-api.js';

/** kubeadm's config API for a Kubernetes minor: v1beta4 from 1.31 (v1beta3 is deprecated there), v1beta3 before. */
export function kubeadmApiVersion(minor: number): 'kubeadm.k8s.io/v1beta4' | 'kubeadm.k8s.io/v1beta3' {
  return minor >= 31 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
}

/** kubeletExtraArgs in the shape of the API version: v1beta4 a list of {name, value}, v1beta3 a map. */
export function kubeletExtraArgs(minor: number, args: Record<string, string>): Record<string, string> | { name: string; value: string }[] {
  return minor >= 31 ? Object.entries(args).map(([name, value]) => ({ name, value })) : { ...args };
}

/** What a node's kubeadm configuration is made of (everything derived from the inventory). */
export interface NodeConfigInput {
  /** Kubernetes version, e.g. "1.32.2". */
  kubernetesVersion: string;
  clusterName: string;
  /** controlPlaneEndpoint, host:port. */
  endpoint: string;
  podSubnet: string;
  serviceSubnet: string;
  /** This node's address: the API server's advertise address (control planes) and the kubelet's node-ip. */
  nodeAddress: string;
  bindPort: number;
  criSocket: string;
  ignorePreflightErrors: readonly string[];
  /** Extra KubeletConfiguration fields (cgroupDriver is always systemd). */
  kubelet: KubeletConfigurationFields;
  /** nodeRegistration.name. */
  nodeName: string;
  /** Labels of the node; those a kubelet may set on itself go into --node-labels. */
  labels: Readonly<Record<string, string>>;
  /** Taints of the node besides the control-plane taint. */
  taints: readonly NodeTaint[];
  /** Control planes without the control-plane taint (a single-node cluster). */
  untaintControlPlane: boolean;
  /** apiServer.certSANs beyond kubeadm's own. */
  certSans: readonly string[];
  /** networking.dnsDomain and the kubelet's clusterDomain. */
  dnsDomain: string;
  /** The CNI replaces kube-proxy (Cilium): skip kubeadm's addon/kube-proxy phase. */
  skipKubeProxy: boolean;
}

export interface NodeTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** The taint kubeadm puts on control planes (nodeRegistration.taints left out). */
export const CONTROL_PLANE_TAINT: NodeTaint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

/** Labels outside these are refused by a kubelet's --node-labels in the kubernetes.io / k8s.io namespaces (NodeRestriction, k8s.io/kubelet well_known_labels.go). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** Whether a kubelet may set this label on its own node (else only `kubectl label` can). */
export function kubeletMaySet(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  const restricted = /(^|\.)(kubernetes\.io|k8s\.io)$/.test(prefix);
  return !restricted || KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((ns) => prefix === ns || prefix.endsWith(`.${ns}`));
}

/** The taints a node registers with: undefined = kubeadm's default (the control-plane taint on control planes, none on workers). */
export function registrationTaints(input: Pick<NodeConfigInput, 'taints' | 'untaintControlPlane'>, controlPlane: boolean): NodeTaint[] | undefined {
  if (controlPlane) {
    if (input.untaintControlPlane) return [...input.taints];
    return input.taints.length > 0 ? [CONTROL_PLANE_TAINT, ...input.taints] : undefined;
  }
  return input.taints.length > 0 ? [...input.taints] : undefined;
}

/** The secrets of a join, fetched from the first control plane at apply time. */
export interface JoinSecrets {
  /** The API endpoint as the cluster's join command names it. */
  endpoint: string;
  token: string;
  caCertHash: string;
  /** Control planes only. */
  certificateKey?: string;
}

export function minorOf(version: string): number {
  return Number(version.split('.')[1]);
}

const HEADER = '# Managed by labwright (role kubeadm-init). kubeadm reads it once: at init or join.\n';

function yamlDocuments(docs: Record<string, unknown>[]): string {
  for (const d of docs) checkDocument(d);
  return HEADER + docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

function nodeRegistration(input: NodeConfigInput, controlPlane: boolean) {
  const minor = minorOf(input.kubernetesVersion);
  const selfLabels = Object.entries(input.labels).filter(([k]) => kubeletMaySet(k));
  const taints = registrationTaints(input, controlPlane);
  return {
    name: input.nodeName,
    criSocket: input.criSocket,
    ...(taints ? { taints: taints.map((t) => ({ ...t })) } : {}),
    kubeletExtraArgs: kubeletExtraArgs(minor, {
      'node-ip': input.nodeAddress,
      ...(selfLabels.length > 0 ? { 'node-labels': selfLabels.map(([k, v]) => `${k}=${v}`).join(',') } : {}),
    }),
    ...(input.ignorePreflightErrors.length > 0 ? { ignorePreflightErrors: [...input.ignorePreflightErrors] } : {}),
  };
}

/** InitConfiguration + ClusterConfiguration + KubeletConfiguration for `kubeadm init --config`, each checked against its upstream type. */
export function renderInitConfig(input: NodeConfigInput): string {
  const apiVersion = kubeadmApiVersion(minorOf(input.kubernetesVersion));
  return yamlDocuments([
    {
      apiVersion,
      kind: 'InitConfiguration',
      localAPIEndpoint: { advertiseAddress: input.nodeAddress, bindPort: input.bindPort },
      nodeRegistration: nodeRegistration(input, true),
      // Cilium replaces kube-proxy: kubeadm must not install it
      ...(input.skipKubeProxy ? { skipPhases: ['addon/kube-proxy'] } : {}),
    },
    {
      apiVersion,
      kind: 'ClusterConfiguration',
      clusterName: input.clusterName,
      kubernetesVersion: `v${input.kubernetesVersion}`,
      controlPlaneEndpoint: input.endpoint,
      networking: { podSubnet: input.podSubnet, serviceSubnet: input.serviceSubnet, dnsDomain: input.dnsDomain },
      ...(input.certSans.length > 0 ? { apiServer: { certSANs: [...input.certSans] } } : {}),
    },
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      ...input.kubelet,
      clusterDomain: input.dnsDomain,
      cgroupDriver: 'systemd',
    },
  ]);
}

/** The JoinConfiguration of a worker or (with a certificate key) an extra control plane, checked against its upstream type. */
export function renderJoinConfig(input: NodeConfigInput, secrets: JoinSecrets, controlPlane: boolean): string {
  if (controlPlane && !secrets.certificateKey) throw new Error('a control plane joins with a certificate key');
  return yamlDocuments([
    {
      apiVersion: kubeadmApiVersion(minorOf(input.kubernetesVersion)),
      kind: 'JoinConfiguration',
      discovery: {
        bootstrapToken: { apiServerEndpoint: secrets.endpoint, token: secrets.token, caCertHashes: [secrets.caCertHash] },
      },
      nodeRegistration: nodeRegistration(input, controlPlane),
      ...(controlPlane
        ? { controlPlane: { localAPIEndpoint: { advertiseAddress: input.nodeAddress, bindPort: input.bindPort }, certificateKey: secrets.certificateKey } }
        : {}),
    },
  ]);
}

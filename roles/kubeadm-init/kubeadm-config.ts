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

function nodeRegistration(input: NodeConfigInput) {
  const minor = minorOf(input.kubernetesVersion);
  return {
    criSocket: input.criSocket,
    kubeletExtraArgs: kubeletExtraArgs(minor, { 'node-ip': input.nodeAddress }),
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
      nodeRegistration: nodeRegistration(input),
    },
    {
      apiVersion,
      kind: 'ClusterConfiguration',
      clusterName: input.clusterName,
      kubernetesVersion: `v${input.kubernetesVersion}`,
      controlPlaneEndpoint: input.endpoint,
      networking: { podSubnet: input.podSubnet, serviceSubnet: input.serviceSubnet },
    },
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      ...input.kubelet,
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
      nodeRegistration: nodeRegistration(input),
      ...(controlPlane
        ? { controlPlane: { localAPIEndpoint: { advertiseAddress: input.nodeAddress, bindPort: input.bindPort }, certificateKey: secrets.certificateKey } }
        : {}),
    },
  ]);
}

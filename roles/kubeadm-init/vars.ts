import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Host, Inventory } from '../../src/inventory/types.js';
import { clusterOf, kubernetesMinor } from '../../src/net/cluster.js';
import { API_SERVER_PORT } from '../../src/net/control-plane-endpoint.js';
import { hostAddress, isIpv4 } from '../../src/net/host-address.js';
import { isDnsName } from '../../src/net/lan.js';
import { kubeletConfigurationFields } from './kubeadm-api.js';
import { nodePart } from './topology.js';
import { resolvedKubernetesVersion } from './versions.js';

const absolutePath = z.string().regex(/^\/[^\0\n]*$/, 'expected an absolute path');
const debVersion = z.string().regex(/^[0-9][A-Za-z0-9.+~:-]*$/, 'expected a Debian package version such as 1.32.2-1.1');
/** A Go duration as kubeadm's --ttl takes it. */
const goDuration = z.string().regex(/^(\d+(\.\d+)?(s|m|h))+$/, 'expected a duration such as 30m, 1h or 1h30m');
/** A Kubernetes label/taint key: [DNS-subdomain prefix/]name, name ≤ 63 of [A-Za-z0-9-_.] starting and ending alphanumeric. */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
function isQualifiedName(k: string): boolean {
  const [prefix, name, more] = k.split('/');
  if (more !== undefined) return false;
  if (name === undefined) return NAME.test(prefix!);
  return prefix!.length <= 253 && isDnsName(prefix!) && prefix === prefix!.toLowerCase() && NAME.test(name);
}
const QUALIFIED_NAME = 'expected a Kubernetes label key such as gpu or nvidia.com/gpu.present ([prefix/]name, name at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric)';
export const qualifiedName = z.string().refine(isQualifiedName, QUALIFIED_NAME);
/** A map whose keys are checked with a message of their own (zod's record key errors name no reason). */
function keyedRecord<V extends z.ZodType>(isKey: (k: string) => boolean, message: string, value: V) {
  return z.record(z.string(), value).superRefine((r, ctx) => {
    for (const k of Object.keys(r)) if (!isKey(k)) ctx.addIssue({ code: 'custom', path: [k], message });
  });
}
export const labelValue = z.string().refine((v) => v === '' || NAME.test(v), 'expected a label value: empty or at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric');
/** A node name: a lower-case DNS subdomain (what kubeadm and the API server accept). */
const nodeName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'expected a lower-case DNS name (the Kubernetes node name)').max(253);
/** An API server certificate SAN: an IPv4 address or a DNS name (a leading *. wildcard allowed). */
const certSan = z.string().refine((s) => isIpv4(s) || isDnsName(s.replace(/^\*\./, '')), 'expected an IPv4 address or a DNS name (e.g. 10.4.0.10, k8s.example.net, *.example.net)');
const isRuntimeName = (n: string) => /^[a-z0-9][a-z0-9_-]*$/.test(n) && n !== 'runc';

export const kubeadmInitVars = z.strictObject({
  package_version: debVersion.describe(
    'Debian version of kubeadm, kubelet and kubectl, installed and held (`apt-mark hold`); default: `cluster.kubernetes_version` (a `stable-1.MINOR` label resolved from the role\'s pinned table) + `-1.1` (the revision pkgs.k8s.io uses).',
  ),
  apt_repository: z
    .string()
    .regex(/^(https?|file):\/\/\S+\/$/, 'expected a URL ending in "/"')
    .describe('The Kubernetes apt repository (flat, suite "/"); default: `https://pkgs.k8s.io/core:/stable:/v1.MINOR/deb/` for the minor of `cluster.kubernetes_version`.'),
  apt_key: z
    .string()
    .regex(/-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]+-----END PGP PUBLIC KEY BLOCK-----/, 'expected an ASCII-armored public key (-----BEGIN PGP PUBLIC KEY BLOCK----- …)')
    .optional()
    .describe(
      "The repository's signing key, ASCII-armored (the content of its `Release.key`), written to `keyring`. Unset: the host downloads `apt_key_url` itself at apply time (curl, only while `keyring` is missing).",
    ),
  apt_key_url: z
    .string()
    .regex(/^https:\/\/\S+$/, 'expected an https URL')
    .optional()
    .describe('Where the host downloads the key when `apt_key` is unset; default: `apt_repository` + `Release.key`.'),
  keyring: absolutePath
    .regex(/\.asc$/, 'the key is kept ASCII-armored: apt reads it as such only with the .asc extension')
    .default('/etc/apt/keyrings/kubernetes-apt-keyring.asc')
    .describe("The key file the apt source's `signed-by` names (ASCII-armored: apt ≥ 1.4 reads `.asc` keys, so no `gpg --dearmor` is needed)."),
  containerd_package: z.string().min(1).default('containerd').describe('Debian package of containerd (bookworm: `containerd` 1.6).'),
  cri_socket: z.string().regex(/^unix:\/\/\/\S+$/, 'expected unix:///path').default('unix:///run/containerd/containerd.sock').describe('CRI socket (nodeRegistration.criSocket).'),
  pause_image: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+)?$/, 'expected an image reference such as registry.k8s.io/pause:3.10')
    .describe("containerd's sandbox (pause) image; default: the one kubeadm of that minor expects (3.10 from 1.31, 3.9 before), so kubeadm does not warn about a mismatch."),
  kernel_modules: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected a kernel module name'),
        present_if: absolutePath.optional().describe('A path that exists whenever the module is in the kernel (for built-in modules).'),
      }),
    )
    .default([{ name: 'br_netfilter', present_if: '/proc/sys/net/bridge' }, { name: 'overlay' }])
    .describe('Kernel modules loaded now and listed in `/etc/modules-load.d/k8s.conf`.'),
  sysctls: z
    .record(z.string().regex(/^[a-z0-9_.-]+$/, 'expected a sysctl key'), z.union([z.string(), z.number()]))
    .default({ 'net.ipv4.ip_forward': 1, 'net.bridge.bridge-nf-call-iptables': 1, 'net.bridge.bridge-nf-call-ip6tables': 1 })
    .describe('Kernel parameters set now and in `/etc/sysctl.d/k8s.conf`.'),
  node_address: z
    .string()
    .refine(isIpv4, 'expected an IPv4 address')
    .describe("This node's address: the kubelet's `node-ip` and, on control planes, the API server's advertise address; default: its inventory address."),
  bind_port: z.number().int().min(1).max(65535).default(API_SERVER_PORT).describe("kube-apiserver's port on each control plane."),
  kubelet_config: z
    .record(z.string(), z.unknown())
    .pipe(kubeletConfigurationFields.omit({ cgroupDriver: true }))
    .default({})
    .describe('Extra KubeletConfiguration fields (checked against the upstream type); `cgroupDriver` is always `systemd`, like containerd.'),
  node_name: nodeName.describe("The node's Kubernetes name (nodeRegistration.name; drain, label, taint and delete use it); default: the inventory host name in lower case."),
  node_labels: keyedRecord(isQualifiedName, QUALIFIED_NAME, labelValue)
    .default({})
    .describe(
      "Labels of this node (set per host, e.g. `gpu: \"true\"` on a GPU worker): those a kubelet may set on itself go into the kubelet's `--node-labels` at init/join; all are reconciled on a registered node with `kubectl label` from the first control plane (`node-role.kubernetes.io/*` only that way). Labels removed from the inventory are not removed from the node.",
    ),
  node_taints: z
    .array(
      z.strictObject({
        key: qualifiedName,
        value: labelValue.optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
      }),
    )
    .default([])
    .describe('Taints of this node: nodeRegistration.taints at init/join, reconciled on a registered node with `kubectl taint` (e.g. `{ key: nvidia.com/gpu, value: present, effect: NoSchedule }`). On a control plane they come in addition to its control-plane taint.'),
  untaint_control_plane: z
    .boolean()
    .default(false)
    .describe('Control planes without the `node-role.kubernetes.io/control-plane:NoSchedule` taint, so that they run workloads: a single-node cluster (seed 000). Rendered as their nodeRegistration.taints, and removed from registered nodes with `kubectl taint …-`.'),
  cert_sans: z
    .array(certSan)
    .default([])
    .describe('Extra subject alternative names of the API server certificate (ClusterConfiguration apiServer.certSANs): a VIP, DNS names, gateway addresses clients use. The control-plane endpoint and node addresses are in it already.'),
  dns_domain: z
    .string()
    .refine(isDnsName, 'expected a DNS domain such as cluster.local')
    .default('cluster.local')
    .describe("The cluster's DNS domain (ClusterConfiguration networking.dnsDomain and the kubelet's clusterDomain), e.g. goldentooth.net (seed 001)."),
  containerd_runtimes: keyedRecord(
      isRuntimeName,
      'expected a runtime name such as nvidia (lower-case letters, digits, "-", "_"; not runc, the default runtime the main config defines)',
      z.strictObject({
        runtime_type: z.string().regex(/^io\.containerd\.[a-z0-9.]+$/, 'expected a containerd runtime type such as io.containerd.runc.v2').default('io.containerd.runc.v2'),
        binary_name: absolutePath.optional().describe('The OCI runtime binary, e.g. /usr/bin/nvidia-container-runtime.'),
        systemd_cgroup: z.boolean().default(true),
      }),
    )
    .default({})
    .describe(
      'Extra containerd runtimes (e.g. `nvidia: { binary_name: /usr/bin/nvidia-container-runtime }` on a GPU worker), written to a drop-in (`containerd_dropin`) that the main config imports: the main config is not rewritten for them, and `nvidia-ctk runtime configure --drop-in` style files beside it are read too. Validated with `containerd config dump` before they go live.',
    ),
  containerd_dropin: absolutePath
    .regex(/^\/etc\/containerd\/conf\.d\/[^/]+\.toml$/, 'the drop-in lives in /etc/containerd/conf.d/ (the directory the main config imports) and ends in .toml')
    .default('/etc/containerd/conf.d/50-labwright-runtimes.toml')
    .describe('Where the extra runtimes are written (removed when there are none).'),
  ignore_preflight_errors: z.array(z.string().min(1)).default([]).describe('kubeadm preflight checks to downgrade to warnings (nodeRegistration.ignorePreflightErrors), e.g. `NumCPU` on small boards.'),
  config_path: absolutePath.default('/etc/kubernetes/kubeadm-config.yaml').describe('Where the first control plane keeps the init configuration.'),
  join_config_path: absolutePath
    .default('/etc/kubernetes/kubeadm-join.yaml')
    .describe('Where a joining node gets its JoinConfiguration (mode 0600; removed after the join: it holds the token and certificate key).'),
  admin_conf_fetch_to: z
    .union([z.string().min(1), z.literal(false)])
    .describe('Where the controller keeps a copy of the cluster\'s admin.conf (0600), or false for none; default: `<cluster.name>-admin.conf` beside the inventory.'),
  certificate_key_state: absolutePath
    .default('/var/lib/labwright/kubeadm-certificate-key')
    .describe('File on the first control plane with the current certificate key and when it was issued (0600).'),
  certificate_key_reuse_minutes: z
    .number()
    .int()
    .min(0)
    .max(110)
    .default(100)
    .describe('A certificate key younger than this is reused for the next control plane; older ones are re-issued (`kubeadm init phase upload-certs --upload-certs`): the uploaded certificates expire after 2 h.'),
  join_token_ttl: goDuration.default('1h').describe('Lifetime of the bootstrap token made for the joins of a run (`kubeadm token create --ttl`).'),
});

export type KubeadmInitVars = z.output<typeof kubeadmInitVars>;

/** The pause image kubeadm of a minor expects (`kubeadm config images list`). */
export function pauseImageFor(minor: number): string {
  return `registry.k8s.io/pause:${minor >= 31 ? '3.10' : '3.9'}`;
}

/** Defaults derived from the inventory: the `cluster` var, the host's address, the inventory's place. */
export function kubeadmInitDefaults(host: Host, inventory: Inventory): Record<string, unknown> {
  const cluster = clusterOf(host);
  nodePart(host, inventory); // a host in neither group is a mistake worth stopping for before any host is touched
  const minor = kubernetesMinor(cluster);
  const address = hostAddress(host);
  const source = inventory.sources[0];
  return {
    package_version: `${resolvedKubernetesVersion(host)}-1.1`,
    node_name: host.name.toLowerCase(),
    apt_repository: `https://pkgs.k8s.io/core:/stable:/v1.${minor}/deb/`,
    pause_image: pauseImageFor(minor),
    ...(isIpv4(address) ? { node_address: address } : {}),
    ...(source ? { admin_conf_fetch_to: join(dirname(source), `${cluster.name}-admin.conf`) } : { admin_conf_fetch_to: false }),
  };
}

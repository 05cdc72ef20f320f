import { defineRole, type TaskContext } from '../../src/engine/definitions.js';
import { ParseError } from '../../src/errors.js';
import { absent, apt, command, directory, file, kernelModules, service, sysctls } from '../../src/ops/index.js';
import { factFile } from '../../src/ops/fact-file.js';
import { fetchFile } from '../../src/ops/fetch.js';
import { pinnedPackages } from '../../src/ops/pinned-packages.js';
import { swapOff } from '../../src/ops/swap.js';
import { clusterOf } from '../../src/net/cluster.js';
import { controlPlaneEndpoint } from '../../src/net/control-plane-endpoint.js';
import { sh } from '../../src/shell/quote.js';
import { aptKey, aptSourceFile, KUBE_PACKAGES } from './apt.js';
import { kubeadmClaims } from './claims.js';
import { CONTAINERD_DROPIN_DIR, containerdVersion, renderContainerdConfig, renderRuntimesDropin, validateDropin } from './containerd.js';
import { ADMIN_CONF, KUBELET_CONF, kubeadmJoin } from './join.js';
import { CONTROL_PLANE_TAINT, renderInitConfig, renderJoinConfig, type NodeConfigInput } from './kubeadm-config.js';
import { nodeMetadata } from './node-state.js';
import { firstControlPlane, nodePart } from './topology.js';
import { kubeadmInitDefaults, kubeadmInitVars, type KubeadmInitVars } from './vars.js';
import { resolvedKubernetesVersion } from './versions.js';

type Ctx = TaskContext<KubeadmInitVars>;

const CONTAINERD_CONFIG = '/etc/containerd/config.toml';

/** Everything a node's kubeadm configuration is made of, from the inventory (`cluster`) and the role's vars. */
export function nodeConfig({ host, inventory, vars }: Ctx): NodeConfigInput {
  const cluster = clusterOf(host);
  const domain = vars.kubelet_config.clusterDomain;
  if (domain !== undefined && domain !== vars.dns_domain) {
    throw new ParseError(`host ${host.name}: kubeadm_init.kubelet_config.clusterDomain: ${domain} differs from kubeadm_init.dns_domain ${vars.dns_domain}; set dns_domain only`);
  }
  return {
    kubernetesVersion: resolvedKubernetesVersion(host),
    clusterName: cluster.name,
    endpoint: controlPlaneEndpoint(host, inventory).endpoint,
    podSubnet: cluster.pod_subnet,
    serviceSubnet: cluster.service_subnet,
    nodeAddress: vars.node_address,
    bindPort: vars.bind_port,
    criSocket: vars.cri_socket,
    ignorePreflightErrors: vars.ignore_preflight_errors,
    kubelet: vars.kubelet_config,
    nodeName: vars.node_name,
    labels: vars.node_labels,
    taints: vars.node_taints,
    untaintControlPlane: vars.untaint_control_plane,
    certSans: vars.cert_sans,
    dnsDomain: vars.dns_domain,
    skipKubeProxy: cluster.cni === 'cilium',
  };
}

/** The node's labels and taints on its registered Node object (kubectl on the first control plane). */
function metadata(ctx: Ctx) {
  const controlPlane = nodePart(ctx.host, ctx.inventory) !== 'worker';
  return nodeMetadata({
    first: firstControlPlane(ctx.host, ctx.inventory),
    nodeName: ctx.vars.node_name,
    labels: ctx.vars.node_labels,
    taints: ctx.vars.node_taints,
    absentTaints: controlPlane && ctx.vars.untaint_control_plane ? [CONTROL_PLANE_TAINT] : [],
  });
}

export { aptSource } from './apt.js';

const isFirst = (ctx: Ctx) => nodePart(ctx.host, ctx.inventory) === 'first-control-plane';

function join(ctx: Ctx, controlPlane: boolean) {
  const config = nodeConfig(ctx);
  return kubeadmJoin({
    first: firstControlPlane(ctx.host, ctx.inventory),
    controlPlane,
    configPath: ctx.vars.join_config_path,
    endpoint: config.endpoint,
    render: (secrets) => renderJoinConfig(config, secrets, controlPlane),
    tokenTtl: ctx.vars.join_token_ttl,
    certificateKeyState: ctx.vars.certificate_key_state,
    certificateKeyReuseSeconds: ctx.vars.certificate_key_reuse_minutes * 60,
  });
}

/**
 * A kubeadm cluster from the inventory: prerequisites on every node (swap
 * off, br_netfilter/overlay, forwarding sysctls, containerd with the systemd
 * cgroup driver, the pinned and held Kubernetes packages), `kubeadm init` once
 * on the first control plane, then the other control planes join one after
 * the other, then the workers, each with a token (and certificate key) made
 * on the first control plane at apply time. Nodes that have joined are left
 * alone; admin.conf is fetched to the controller.
 */
export const kubeadmInit = defineRole({
  name: 'kubeadm-init',
  vars: kubeadmInitVars,
  defaults: kubeadmInitDefaults,
  tasks: ({ task, flushHandlers }) => [
    task('swap off, now and in /etc/fstab', () => swapOff(), { tags: ['kubeadm-init:prereq'] }),
    task(
      'kernel modules for the pod network',
      ({ vars }) => kernelModules({ modules: vars.kernel_modules.map((m) => ({ name: m.name, presentIf: m.present_if })), file: '/etc/modules-load.d/k8s.conf' }),
      { tags: ['kubeadm-init:prereq'] },
    ),
    task(
      'forwarding sysctls',
      ({ vars }) => sysctls({ values: vars.sysctls, file: '/etc/sysctl.d/k8s.conf' }),
      { tags: ['kubeadm-init:prereq'] },
    ),
    task('install containerd', ({ vars }) => apt({ packages: [vars.containerd_package], updateCache: true }), { tags: ['kubeadm-init:containerd'] }),
    task(
      'containerd config: CRI on, systemd cgroups',
      ({ vars }) => [
        directory({ path: '/etc/containerd', mode: '0755' }),
        factFile({
          label: `template ${CONTAINERD_CONFIG}`,
          path: CONTAINERD_CONFIG,
          mode: '0644',
          facts: [containerdVersion()],
          render: (version) => renderContainerdConfig(version, vars.pause_image),
          // containerd parses the file and prints the merged config, or fails
          validate: (tmp) => sh`containerd --config ${tmp} config dump >/dev/null`,
        }),
      ],
      { notify: ['restart containerd'], tags: ['kubeadm-init:containerd'] },
    ),
    task(
      'containerd extra runtimes (drop-in)',
      ({ vars }) => {
        const names = Object.keys(vars.containerd_runtimes);
        if (names.length === 0) return absent({ path: vars.containerd_dropin });
        return [
          directory({ path: CONTAINERD_DROPIN_DIR, mode: '0755' }),
          factFile({
            label: `template ${vars.containerd_dropin}`,
            path: vars.containerd_dropin,
            mode: '0644',
            facts: [containerdVersion()],
            render: (version) => renderRuntimesDropin(version, vars.containerd_runtimes),
            validate: (tmp) => validateDropin(tmp, names),
          }),
        ];
      },
      { notify: ['restart containerd'], tags: ['kubeadm-init:containerd'] },
    ),
    task('containerd running and enabled', () => service({ name: 'containerd', state: 'started', enabled: true }), { tags: ['kubeadm-init:containerd'] }),
    // kubeadm must find containerd with its new config
    flushHandlers(),
    task('Kubernetes apt signing key', ({ vars }) => aptKey(vars), { tags: ['kubeadm-init:packages'] }),
    task('Kubernetes apt source', ({ vars }) => aptSourceFile(vars), { tags: ['kubeadm-init:packages'] }),
    task(
      'kubeadm, kubelet, kubectl pinned and held',
      ({ vars }) =>
        pinnedPackages({
          packages: Object.fromEntries(KUBE_PACKAGES.map((p) => [p, vars.package_version])),
          updateCache: true,
          keepVersionWhile: { path: KUBELET_CONF, reason: 'this node is part of a cluster: upgrade it with kubeadm upgrade, not by installing another version' },
        }),
      { tags: ['kubeadm-init:packages'] },
    ),
    task('kubelet enabled', () => service({ name: 'kubelet', enabled: true }), { tags: ['kubeadm-init:packages'] }),
    task(
      'kubeadm init configuration',
      (ctx) => [
        directory({ path: '/etc/kubernetes', mode: '0755' }),
        file({
          path: ctx.vars.config_path,
          content: renderInitConfig(nodeConfig(ctx)),
          mode: '0600',
          validate: (tmp) => sh`kubeadm config validate --config ${tmp}`,
        }),
      ],
      { when: isFirst, tags: ['kubeadm-init:init'] },
    ),
    task(
      'kubeadm init on the first control plane',
      ({ vars }) => command({ run: sh`kubeadm init --config ${vars.config_path} --upload-certs`, creates: ADMIN_CONF }),
      { when: isFirst, tags: ['kubeadm-init:init'] },
    ),
    task('admin.conf to the controller', ({ vars }) => fetchFile({ path: ADMIN_CONF, dest: vars.admin_conf_fetch_to as string, mode: 0o600 }), {
      when: (ctx) => isFirst(ctx) && ctx.vars.admin_conf_fetch_to !== false,
      tags: ['kubeadm-init:init'],
    }),
    task('join the other control planes, one at a time', (ctx) => join(ctx, true), {
      when: (ctx) => nodePart(ctx.host, ctx.inventory) === 'control-plane',
      tags: ['kubeadm-init:join'],
    }),
    task('join the workers', (ctx) => join(ctx, false), {
      when: (ctx) => nodePart(ctx.host, ctx.inventory) === 'worker',
      tags: ['kubeadm-init:join'],
    }),
    task('node labels and taints', metadata, { tags: ['kubeadm-init:nodes'] }),
  ],
  handlers: ({ handler }) => [handler('restart containerd', () => service({ name: 'containerd', state: 'restarted' }))],
  addressPlan: ({ vars, host }) => kubeadmClaims(vars, clusterOf(host)),
});

export default kubeadmInit;

/**
 * Strict zod models of the configuration kinds kubeadm reads, so that every
 * document the role renders is checked against the real Go types before it
 * leaves the controller: unknown fields are rejected (a typo is an error, not
 * a silently ignored key), types and enums are as upstream. Optional here
 * means "may be left out" (kubeadm and the kubelet default it).
 *
 * Modelled from (read with the search tool, not copied):
 * - kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go
 *   @ 1329935739c3aa007d23cb9a4dadfee9d59ff79b (the v1beta4 of kubeadm ≥ 1.31)
 * - kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/v1beta3/types.go
 *   @ 428c3fe9540a2cbe8daf4645879a87b30bbf1d02
 * - kubernetes/kubernetes cmd/kubeadm/app/apis/bootstraptoken/v1 (BootstrapToken)
 * - kubernetes/kubelet config/v1beta1/types.go @ c277b99b58e8d6467ceef9ff4311940a58f9c81e
 *   (the staging mirror of staging/src/k8s.io/kubelet/config/v1beta1/types.go;
 *   it is newer than 1.32 and has a few fields 1.32 does not know, which a
 *   1.32 kubelet reports as unknown; the role sets none of them)
 * - k8s.io/api core/v1 Taint, EnvVar, HostPathType, PullPolicy;
 *   k8s.io/component-base logs/api/v1 LoggingConfiguration, tracing/api/v1.
 */
import { z } from 'zod';

const int32 = z.number().int().min(-2147483648).max(2147483647);
const int64 = z.number().int();
/** metav1.Duration: a Go duration string such as "4m0s", "30s", "1h30m". */
const duration = z.string().regex(/^(0|-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/, 'expected a Go duration such as 30s, 4m0s or 1h');
const stringMap = z.record(z.string(), z.string());

// ---- core/v1 ----

export const taint = z.strictObject({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  timeAdded: z.string().optional(),
});

const hostPathType = z.enum(['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']);
const pullPolicy = z.enum(['Always', 'IfNotPresent', 'Never']);

const envVarSource = z.strictObject({
  fieldRef: z.strictObject({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
  resourceFieldRef: z.strictObject({ containerName: z.string().optional(), resource: z.string(), divisor: z.union([z.string(), z.number()]).optional() }).optional(),
  configMapKeyRef: z.strictObject({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() }).optional(),
  secretKeyRef: z.strictObject({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() }).optional(),
});
const envVar = z.strictObject({ name: z.string().min(1), value: z.string().optional(), valueFrom: envVarSource.optional() });

// ---- kubeadm, common to v1beta3 and v1beta4 ----

const hostPathMount = z.strictObject({
  name: z.string(),
  hostPath: z.string(),
  mountPath: z.string(),
  readOnly: z.boolean().optional(),
  pathType: hostPathType.optional(),
});

export const apiEndpoint = z.strictObject({
  advertiseAddress: z.string().optional(),
  bindPort: int32.optional(),
});

/** bootstraptoken/v1 BootstrapToken; the token is "[a-z0-9]{6}.[a-z0-9]{16}". */
const bootstrapToken = z.strictObject({
  token: z.string().regex(/^[a-z0-9]{6}\.[a-z0-9]{16}$/, 'expected a bootstrap token such as abcdef.0123456789abcdef'),
  description: z.string().optional(),
  ttl: duration.optional(),
  expires: z.string().optional(),
  usages: z.array(z.string()).optional(),
  groups: z.array(z.string()).optional(),
});

const patches = z.strictObject({ directory: z.string().optional() });
const imageMeta = { imageRepository: z.string().optional(), imageTag: z.string().optional() };
const networking = z.strictObject({ serviceSubnet: z.string().optional(), podSubnet: z.string().optional(), dnsDomain: z.string().optional() });
const externalEtcd = z.strictObject({ endpoints: z.array(z.string()), caFile: z.string(), certFile: z.string(), keyFile: z.string() });
/** "<type>:<value>" where the only supported type is sha256. */
const caCertHash = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256:<64 hex digits>');
const certificateKey = z.string().regex(/^[0-9a-f]{64}$/, 'expected a 32-byte key as 64 hex digits');

const bootstrapTokenDiscovery = z.strictObject({
  token: bootstrapToken.shape.token,
  apiServerEndpoint: z.string().optional(),
  caCertHashes: z.array(caCertHash).optional(),
  unsafeSkipCAVerification: z.boolean().optional(),
});
const fileDiscovery = z.strictObject({ kubeConfigPath: z.string() });
const joinControlPlane = z.strictObject({ localAPIEndpoint: apiEndpoint.optional(), certificateKey: certificateKey.optional() });

// ---- kubeadm.k8s.io/v1beta3 (kubeadm 1.22 - 1.30 default) ----

const V1BETA3 = 'kubeadm.k8s.io/v1beta3';

const nodeRegistrationV1beta3 = z.strictObject({
  name: z.string().optional(),
  criSocket: z.string().optional(),
  taints: z.array(taint).nullable().optional(),
  /** v1beta3: a map flag → value. */
  kubeletExtraArgs: stringMap.optional(),
  ignorePreflightErrors: z.array(z.string()).optional(),
  imagePullPolicy: pullPolicy.optional(),
});

const controlPlaneComponentV1beta3 = {
  extraArgs: stringMap.optional(),
  extraVolumes: z.array(hostPathMount).optional(),
};

export const initConfigurationV1beta3 = z.strictObject({
  apiVersion: z.literal(V1BETA3),
  kind: z.literal('InitConfiguration'),
  bootstrapTokens: z.array(bootstrapToken).optional(),
  nodeRegistration: nodeRegistrationV1beta3.optional(),
  localAPIEndpoint: apiEndpoint.optional(),
  certificateKey: certificateKey.optional(),
  skipPhases: z.array(z.string()).optional(),
  patches: patches.optional(),
});

export const clusterConfigurationV1beta3 = z.strictObject({
  apiVersion: z.literal(V1BETA3),
  kind: z.literal('ClusterConfiguration'),
  etcd: z
    .strictObject({
      local: z
        .strictObject({
          ...imageMeta,
          dataDir: z.string().optional(),
          extraArgs: stringMap.optional(),
          serverCertSANs: z.array(z.string()).optional(),
          peerCertSANs: z.array(z.string()).optional(),
        })
        .optional(),
      external: externalEtcd.optional(),
    })
    .optional(),
  networking: networking.optional(),
  kubernetesVersion: z.string().optional(),
  controlPlaneEndpoint: z.string().optional(),
  apiServer: z
    .strictObject({ ...controlPlaneComponentV1beta3, certSANs: z.array(z.string()).optional(), timeoutForControlPlane: duration.optional() })
    .optional(),
  controllerManager: z.strictObject(controlPlaneComponentV1beta3).optional(),
  scheduler: z.strictObject(controlPlaneComponentV1beta3).optional(),
  dns: z.strictObject(imageMeta).optional(),
  certificatesDir: z.string().optional(),
  imageRepository: z.string().optional(),
  featureGates: z.record(z.string(), z.boolean()).optional(),
  clusterName: z.string().optional(),
});

export const joinConfigurationV1beta3 = z.strictObject({
  apiVersion: z.literal(V1BETA3),
  kind: z.literal('JoinConfiguration'),
  nodeRegistration: nodeRegistrationV1beta3.optional(),
  caCertPath: z.string().optional(),
  discovery: z.strictObject({
    bootstrapToken: bootstrapTokenDiscovery.optional(),
    file: fileDiscovery.optional(),
    tlsBootstrapToken: z.string().optional(),
    timeout: duration.optional(),
  }),
  controlPlane: joinControlPlane.optional(),
  skipPhases: z.array(z.string()).optional(),
  patches: patches.optional(),
});

// ---- kubeadm.k8s.io/v1beta4 (kubeadm ≥ 1.31) ----

const V1BETA4 = 'kubeadm.k8s.io/v1beta4';

/** v1beta4 Arg: extra arguments are a list of {name, value} (duplicates allowed). */
export const arg = z.strictObject({ name: z.string().min(1), value: z.string() });

const timeouts = z.strictObject({
  controlPlaneComponentHealthCheck: duration.optional(),
  kubeletHealthCheck: duration.optional(),
  kubernetesAPICall: duration.optional(),
  etcdAPICall: duration.optional(),
  tlsBootstrap: duration.optional(),
  discovery: duration.optional(),
  upgradeManifests: duration.optional(),
});

const nodeRegistrationV1beta4 = z.strictObject({
  name: z.string().optional(),
  criSocket: z.string().optional(),
  taints: z.array(taint).nullable().optional(),
  /** v1beta4: a list of {name, value}. */
  kubeletExtraArgs: z.array(arg).optional(),
  ignorePreflightErrors: z.array(z.string()).optional(),
  imagePullPolicy: pullPolicy.optional(),
  imagePullSerial: z.boolean().optional(),
});

const controlPlaneComponentV1beta4 = {
  extraArgs: z.array(arg).optional(),
  extraVolumes: z.array(hostPathMount).optional(),
  extraEnvs: z.array(envVar).optional(),
};

export const initConfigurationV1beta4 = z.strictObject({
  apiVersion: z.literal(V1BETA4),
  kind: z.literal('InitConfiguration'),
  bootstrapTokens: z.array(bootstrapToken).optional(),
  dryRun: z.boolean().optional(),
  nodeRegistration: nodeRegistrationV1beta4.optional(),
  localAPIEndpoint: apiEndpoint.optional(),
  certificateKey: certificateKey.optional(),
  skipPhases: z.array(z.string()).optional(),
  patches: patches.optional(),
  timeouts: timeouts.optional(),
});

export const clusterConfigurationV1beta4 = z.strictObject({
  apiVersion: z.literal(V1BETA4),
  kind: z.literal('ClusterConfiguration'),
  etcd: z
    .strictObject({
      local: z
        .strictObject({
          ...imageMeta,
          dataDir: z.string().optional(),
          extraArgs: z.array(arg).optional(),
          extraEnvs: z.array(envVar).optional(),
          serverCertSANs: z.array(z.string()).optional(),
          peerCertSANs: z.array(z.string()).optional(),
        })
        .optional(),
      external: externalEtcd.optional(),
    })
    .optional(),
  networking: networking.optional(),
  kubernetesVersion: z.string().optional(),
  controlPlaneEndpoint: z.string().optional(),
  apiServer: z.strictObject({ ...controlPlaneComponentV1beta4, certSANs: z.array(z.string()).optional() }).optional(),
  controllerManager: z.strictObject(controlPlaneComponentV1beta4).optional(),
  scheduler: z.strictObject(controlPlaneComponentV1beta4).optional(),
  dns: z.strictObject({ ...imageMeta, disabled: z.boolean().optional() }).optional(),
  proxy: z.strictObject({ disabled: z.boolean().optional() }).optional(),
  certificatesDir: z.string().optional(),
  imageRepository: z.string().optional(),
  featureGates: z.record(z.string(), z.boolean()).optional(),
  clusterName: z.string().optional(),
  encryptionAlgorithm: z.enum(['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256']).optional(),
  certificateValidityPeriod: duration.optional(),
  caCertificateValidityPeriod: duration.optional(),
});

export const joinConfigurationV1beta4 = z.strictObject({
  apiVersion: z.literal(V1BETA4),
  kind: z.literal('JoinConfiguration'),
  dryRun: z.boolean().optional(),
  nodeRegistration: nodeRegistrationV1beta4.optional(),
  caCertPath: z.string().optional(),
  discovery: z.strictObject({
    bootstrapToken: bootstrapTokenDiscovery.optional(),
    file: fileDiscovery.optional(),
    tlsBootstrapToken: z.string().optional(),
  }),
  controlPlane: joinControlPlane.optional(),
  skipPhases: z.array(z.string()).optional(),
  patches: patches.optional(),
  timeouts: timeouts.optional(),
});

// ---- kubelet.config.k8s.io/v1beta1 KubeletConfiguration ----

const loggingOptions = z.strictObject({ splitStream: z.boolean().optional(), infoBufferSize: z.union([z.string(), z.number()]).optional() });

/** The fields of KubeletConfiguration other than apiVersion/kind (what `kubelet_config` may set). */
export const kubeletConfigurationFields = z.strictObject({
  enableServer: z.boolean().optional(),
  staticPodPath: z.string().optional(),
  podLogsDir: z.string().optional(),
  syncFrequency: duration.optional(),
  fileCheckFrequency: duration.optional(),
  httpCheckFrequency: duration.optional(),
  staticPodURL: z.string().optional(),
  staticPodURLHeader: z.record(z.string(), z.array(z.string())).optional(),
  address: z.string().optional(),
  port: int32.min(1).max(65535).optional(),
  readOnlyPort: int32.min(0).max(65535).optional(),
  tlsCertFile: z.string().optional(),
  tlsPrivateKeyFile: z.string().optional(),
  tlsCipherSuites: z.array(z.string()).optional(),
  tlsMinVersion: z.string().optional(),
  rotateCertificates: z.boolean().optional(),
  serverTLSBootstrap: z.boolean().optional(),
  authentication: z
    .strictObject({
      x509: z.strictObject({ clientCAFile: z.string().optional() }).optional(),
      webhook: z.strictObject({ enabled: z.boolean().optional(), cacheTTL: duration.optional() }).optional(),
      anonymous: z.strictObject({ enabled: z.boolean().optional() }).optional(),
    })
    .optional(),
  authorization: z
    .strictObject({
      mode: z.enum(['AlwaysAllow', 'Webhook']).optional(),
      webhook: z.strictObject({ cacheAuthorizedTTL: duration.optional(), cacheUnauthorizedTTL: duration.optional() }).optional(),
    })
    .optional(),
  registryPullQPS: int32.min(0).optional(),
  registryBurst: int32.min(0).optional(),
  imagePullCredentialsVerificationPolicy: z.enum(['NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify']).optional(),
  preloadedImagesVerificationAllowlist: z.array(z.string()).optional(),
  eventRecordQPS: int32.min(0).optional(),
  eventBurst: int32.min(0).optional(),
  enableDebuggingHandlers: z.boolean().optional(),
  enableContentionProfiling: z.boolean().optional(),
  healthzPort: int32.min(0).max(65535).optional(),
  healthzBindAddress: z.string().optional(),
  oomScoreAdj: int32.min(-1000).max(1000).optional(),
  clusterDomain: z.string().optional(),
  clusterDNS: z.array(z.string()).optional(),
  streamingConnectionIdleTimeout: duration.optional(),
  nodeStatusUpdateFrequency: duration.optional(),
  nodeStatusReportFrequency: duration.optional(),
  nodeLeaseDurationSeconds: int32.min(1).optional(),
  imageMinimumGCAge: duration.optional(),
  imageMaximumGCAge: duration.optional(),
  imageGCHighThresholdPercent: int32.min(0).max(100).optional(),
  imageGCLowThresholdPercent: int32.min(0).max(100).optional(),
  volumeStatsAggPeriod: duration.optional(),
  kubeletCgroups: z.string().optional(),
  systemCgroups: z.string().optional(),
  cgroupRoot: z.string().optional(),
  cgroupsPerQOS: z.boolean().optional(),
  /** A string upstream; the kubelet's validation accepts these two. */
  cgroupDriver: z.enum(['cgroupfs', 'systemd']).optional(),
  cpuManagerPolicy: z.string().optional(),
  singleProcessOOMKill: z.boolean().optional(),
  cpuManagerPolicyOptions: stringMap.optional(),
  cpuManagerReconcilePeriod: duration.optional(),
  memoryManagerPolicy: z.enum(['None', 'Static']).optional(),
  topologyManagerPolicy: z.enum(['restricted', 'best-effort', 'none', 'single-numa-node']).optional(),
  topologyManagerScope: z.enum(['container', 'pod']).optional(),
  topologyManagerPolicyOptions: stringMap.optional(),
  qosReserved: stringMap.optional(),
  runtimeRequestTimeout: duration.optional(),
  hairpinMode: z.enum(['promiscuous-bridge', 'hairpin-veth', 'none']).optional(),
  maxPods: int32.min(0).optional(),
  podCIDR: z.string().optional(),
  podPidsLimit: int64.optional(),
  resolvConf: z.string().optional(),
  runOnce: z.boolean().optional(),
  cpuCFSQuota: z.boolean().optional(),
  cpuCFSQuotaPeriod: duration.optional(),
  nodeStatusMaxImages: int32.min(-1).optional(),
  maxOpenFiles: int64.min(0).optional(),
  contentType: z.string().optional(),
  kubeAPIQPS: int32.min(0).optional(),
  kubeAPIBurst: int32.min(0).optional(),
  serializeImagePulls: z.boolean().optional(),
  maxParallelImagePulls: int32.min(1).optional(),
  evictionHard: stringMap.optional(),
  evictionSoft: stringMap.optional(),
  evictionSoftGracePeriod: stringMap.optional(),
  evictionPressureTransitionPeriod: duration.optional(),
  evictionMaxPodGracePeriod: int32.optional(),
  evictionMinimumReclaim: stringMap.optional(),
  mergeDefaultEvictionSettings: z.boolean().optional(),
  podsPerCore: int32.min(0).optional(),
  enableControllerAttachDetach: z.boolean().optional(),
  protectKernelDefaults: z.boolean().optional(),
  makeIPTablesUtilChains: z.boolean().optional(),
  iptablesMasqueradeBit: int32.min(0).max(31).optional(),
  iptablesDropBit: int32.min(0).max(31).optional(),
  featureGates: z.record(z.string(), z.boolean()).optional(),
  failSwapOn: z.boolean().optional(),
  memorySwap: z.strictObject({ swapBehavior: z.enum(['', 'NoSwap', 'LimitedSwap']).optional() }).optional(),
  containerLogMaxSize: z.string().optional(),
  containerLogMaxFiles: int32.min(2).optional(),
  containerLogMaxWorkers: int32.min(1).optional(),
  containerLogMonitorInterval: duration.optional(),
  configMapAndSecretChangeDetectionStrategy: z.enum(['Get', 'Cache', 'Watch']).optional(),
  systemReserved: stringMap.optional(),
  kubeReserved: stringMap.optional(),
  reservedSystemCPUs: z.string().optional(),
  showHiddenMetricsForVersion: z.string().optional(),
  systemReservedCgroup: z.string().optional(),
  kubeReservedCgroup: z.string().optional(),
  enforceNodeAllocatable: z
    .array(z.enum(['none', 'pods', 'system-reserved', 'system-reserved-compressible', 'kube-reserved', 'kube-reserved-compressible']))
    .optional(),
  allowedUnsafeSysctls: z.array(z.string()).optional(),
  volumePluginDir: z.string().optional(),
  providerID: z.string().optional(),
  kernelMemcgNotification: z.boolean().optional(),
  logging: z
    .strictObject({
      format: z.string().optional(),
      flushFrequency: z.union([duration, int64]).optional(),
      verbosity: z.number().int().min(0).optional(),
      vmodule: z.array(z.strictObject({ filePattern: z.string(), verbosity: z.number().int().min(0) })).optional(),
      options: z.strictObject({ text: loggingOptions.optional(), json: loggingOptions.optional() }).optional(),
    })
    .optional(),
  enableSystemLogHandler: z.boolean().optional(),
  enableSystemLogQuery: z.boolean().optional(),
  shutdownGracePeriod: duration.optional(),
  shutdownGracePeriodCriticalPods: duration.optional(),
  shutdownGracePeriodByPodPriority: z.array(z.strictObject({ priority: int32, shutdownGracePeriodSeconds: int64 })).optional(),
  crashLoopBackOff: z.strictObject({ maxContainerRestartPeriod: duration.optional() }).optional(),
  reservedMemory: z.array(z.strictObject({ numaNode: int32, limits: stringMap })).optional(),
  enableProfilingHandler: z.boolean().optional(),
  enableDebugFlagsHandler: z.boolean().optional(),
  seccompDefault: z.boolean().optional(),
  memoryThrottlingFactor: z.number().optional(),
  registerWithTaints: z.array(taint).optional(),
  registerNode: z.boolean().optional(),
  tracing: z.strictObject({ endpoint: z.string().optional(), samplingRatePerMillion: int32.optional() }).optional(),
  localStorageCapacityIsolation: z.boolean().optional(),
  containerRuntimeEndpoint: z.string().optional(),
  imageServiceEndpoint: z.string().optional(),
  failCgroupV1: z.boolean().optional(),
  userNamespaces: z.strictObject({ idsPerPod: int64.optional() }).optional(),
});

export const kubeletConfiguration = kubeletConfigurationFields.extend({
  apiVersion: z.literal('kubelet.config.k8s.io/v1beta1'),
  kind: z.literal('KubeletConfiguration'),
});

export type KubeletConfigurationFields = z.input<typeof kubeletConfigurationFields>;

/** The schema of each known apiVersion + kind. */
export const KINDS = {
  [`${V1BETA3}/InitConfiguration`]: initConfigurationV1beta3,
  [`${V1BETA3}/ClusterConfiguration`]: clusterConfigurationV1beta3,
  [`${V1BETA3}/JoinConfiguration`]: joinConfigurationV1beta3,
  [`${V1BETA4}/InitConfiguration`]: initConfigurationV1beta4,
  [`${V1BETA4}/ClusterConfiguration`]: clusterConfigurationV1beta4,
  [`${V1BETA4}/JoinConfiguration`]: joinConfigurationV1beta4,
  'kubelet.config.k8s.io/v1beta1/KubeletConfiguration': kubeletConfiguration,
} as const satisfies Record<string, z.ZodType>;

/** Checks one document against the model of its apiVersion/kind; throws with every problem, by path. */
export function checkDocument(doc: Record<string, unknown>): void {
  const key = `${String(doc.apiVersion)}/${String(doc.kind)}`;
  const schema = (KINDS as Record<string, z.ZodType>)[key];
  if (!schema) throw new Error(`unknown kubeadm document apiVersion/kind: ${key}`);
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    throw new Error(
      `${doc.kind} (${doc.apiVersion}) does not match the upstream type: ` +
        parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; '),
    );
  }
}

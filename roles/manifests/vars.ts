import { z } from 'zod';
import { dnsLabel, k8sObjectValue } from '../../src/ops/kube-objects.js';

/** The API server's default --service-node-port-range. */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in hex (64 characters, lower case)');
const timeout = z.number().int().min(1).max(3600);

const fileSource = z.strictObject({
  file: z.string().min(1).describe('A manifest file, or a directory of them (`*.yaml`, `*.yml`, `*.json`, in name order, not recursive), on the controller.'),
});
const urlSource = z.strictObject({
  url: z.url({ protocol: /^https$/, error: 'an https:// URL (manifests are fetched over https only)' }).describe('A manifest fetched on the first control plane (https only, redirects included).'),
  sha256: sha256.describe('Its sha256: the content is verified on the host before it is used, and again when read back.'),
});
const objectsSource = z.strictObject({
  objects: z.array(k8sObjectValue).min(1).describe('Kubernetes objects written in the inventory (each with apiVersion, kind, metadata.name).'),
});

const rolloutWait = z.strictObject({
  rollout: z
    .string()
    .regex(/^(deployment|daemonset|statefulset)(\.apps)?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'deployment/NAME, daemonset/NAME or statefulset/NAME')
    .describe('`kubectl rollout status` of `deployment/NAME`, `daemonset/NAME` or `statefulset/NAME`.'),
  namespace: dnsLabel.optional().describe('Its namespace.'),
  timeout: timeout.optional().describe('Seconds (default `wait_timeout`).'),
});
const conditionWait = z.strictObject({
  condition: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'a condition type such as Available or Established').describe('`kubectl wait --for=condition=…`, e.g. `Available`.'),
  resource: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9.:]*[a-z0-9])?)?$/, 'TYPE or TYPE/NAME, e.g. deployment/argocd-server or crd/applications.argoproj.io')
    .describe('`TYPE/NAME`, or `TYPE` with `selector`.'),
  selector: z.string().regex(/^[A-Za-z0-9_./=!,-]+$/, 'a label selector such as app=grafana').optional().describe('Label selector (`-l`).'),
  namespace: dnsLabel.optional().describe('Its namespace.'),
  timeout: timeout.optional().describe('Seconds (default `wait_timeout`).'),
});

export const releaseVars = z.strictObject({
  name: dnsLabel.describe('Release name: the value of the `labwright.dev/managed-by` label on every object of the release.'),
  sources: z.array(z.union([fileSource, urlSource, objectsSource])).describe('Where the objects come from: `{ file }`, `{ url, sha256 }` or `{ objects }`, applied together in install order (namespaces, CRDs, the rest as given); `[]` with `prune: true` removes the release.'),
  prune: z.boolean().default(false).describe('Delete objects labelled with this release that are no longer declared (only those).'),
  wait: z.array(z.union([rolloutWait, conditionWait])).default([]).describe('Readiness waits after the apply, in order: `{ rollout, namespace? }` or `{ condition, resource, selector?, namespace? }`, each bounded.'),
});

export type ReleaseVars = z.output<typeof releaseVars>;

interface NodePortUse {
  port: number;
  where: string;
}

/** The nodePorts the inline Service objects set. */
export function nodePorts(releases: readonly ReleaseVars[]): NodePortUse[] {
  return releases.flatMap((r) =>
    r.sources.flatMap((s) =>
      'objects' in s
        ? s.objects.flatMap((o) => {
            const meta = o.metadata as { name: string; namespace?: string };
            const ports = (o.kind === 'Service' ? ((o.spec as { ports?: { nodePort?: unknown }[] } | undefined)?.ports ?? []) : []);
            return ports.filter((p) => p.nodePort !== undefined).map((p) => ({ port: p.nodePort as number, where: `release ${r.name}: Service ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name}` }));
          })
        : [],
    ),
  );
}

export const manifestsVars = z
  .strictObject({
    releases: z.array(releaseVars).default([]).describe('The releases to apply, in order (a release whose objects need another one\'s CRDs comes after it).'),
    kubeconfig: z.string().startsWith('/').default('/etc/kubernetes/admin.conf').describe('Kubeconfig on the first control plane used by every kubectl call.'),
    state_dir: z.string().startsWith('/').default('/var/lib/labwright/manifests').describe('Where fetched manifests and each release\'s record of applied types live on the first control plane.'),
    wait_timeout: timeout.default(300).describe('Seconds each readiness wait may take (unless it sets its own).'),
  })
  .superRefine((v, ctx) => {
    const names = new Set<string>();
    v.releases.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['releases', i, 'name'], message: `release ${r.name} is declared twice` });
      names.add(r.name);
    });
    const taken = new Map<number, string>();
    for (const { port, where } of nodePorts(v.releases)) {
      if (!Number.isInteger(port) || port < NODE_PORT_RANGE.min || port > NODE_PORT_RANGE.max) {
        ctx.addIssue({ code: 'custom', path: ['releases'], message: `${where}: nodePort ${port} is outside the API server's node port range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` });
      } else if (taken.has(port)) {
        ctx.addIssue({ code: 'custom', path: ['releases'], message: `${where}: nodePort ${port} is already taken by ${taken.get(port)}` });
      } else taken.set(port, where);
    }
  });

export type ManifestsVars = z.output<typeof manifestsVars>;

import { z } from 'zod';
import type { Host } from '../../src/inventory/types.js';
import { parseVars } from '../../src/inventory/vars-check.js';

/** A Kubernetes object name (RFC 1123 label): release names and namespaces. */
const label = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,51}[a-z0-9])?$/, 'expected a DNS label: lower-case letters, digits and inner "-", at most 53 (helm\'s release name limit)');

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex (64 characters)');

/** A chart version pinned exactly (semver, no ranges: `^1.2`, `~1`, `>=` or `latest` would move under the inventory). */
const chartVersion = z.string().regex(/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/, 'expected an exact chart version such as 8.10.1 (no ranges: the release must not move by itself)');

export const releaseVars = z
  .strictObject({
    name: label.describe('Release name, e.g. `grafana`.'),
    namespace: label.describe('Namespace of the release (created when missing, `create_namespace`).'),
    repo: z
      .url({ protocol: /^https$/, error: 'expected an https chart repository URL' })
      .optional()
      .describe('Chart repository URL (passed as `--repo`: no `helm repo add` state on the host), e.g. `https://grafana.github.io/helm-charts`. Omit it for an `oci://` chart.'),
    chart: z.string().min(1).describe('Chart name in `repo` (`grafana`), or a full `oci://registry/path/chart` reference.'),
    version: chartVersion.describe('Pinned chart version, e.g. `8.10.1`.'),
    values: z.record(z.string(), z.unknown()).default({}).describe('The chart values, as a mapping (`!secret` values are masked in every output and travel only in the values file on stdin).'),
    create_namespace: z.boolean().default(true).describe('`--create-namespace`.'),
    wait: z.boolean().default(true).describe('`--wait`: helm waits (bounded by `wait_timeout`) until the release\'s workloads are ready.'),
  })
  .refine((r) => (r.chart.startsWith('oci://') ? r.repo === undefined : r.repo !== undefined), {
    message: 'set repo for a chart name, or a full oci:// chart reference without repo',
    path: ['repo'],
  });

export const helmVars = z.strictObject({
  install: z.boolean().default(true).describe('Install the helm binary (false: it is installed otherwise, on PATH).'),
  version: z.string().regex(/^v3\.\d+\.\d+$/, 'expected a pinned helm 3 release such as v3.17.3').default('v3.17.3').describe('Pinned helm release.'),
  sha256: sha256.optional().describe('sha256 of the release tarball for the host\'s architecture (published as `helm-VERSION-linux-ARCH.tar.gz.sha256sum`); required to install helm: a mismatch is refused.'),
  tarball_url: z.url({ protocol: /^https$/, error: 'expected an https URL' }).optional().describe('Where the host fetches the tarball; default `https://get.helm.sh/helm-VERSION-linux-ARCH.tar.gz`.'),
  tarball_file: z.string().min(1).optional().describe('The tarball on the controller, copied instead of fetched (air-gapped hosts).'),
  arch: z.string().regex(/^[a-z0-9]+$/).optional().describe('Architecture of the tarball (`amd64`, `arm64`); default: the host\'s (`uname -m`).'),
  kubeconfig: z.string().startsWith('/').default('/etc/kubernetes/admin.conf').describe('Kubeconfig on the first control plane used by every helm call.'),
  wait_timeout: z.number().int().min(10).max(3600).default(600).describe('Seconds helm waits for a release (`--wait --timeout`).'),
  releases: z
    .array(releaseVars)
    .superRefine((rs, ctx) => {
      const seen = new Set<string>();
      rs.forEach((r, i) => {
        const key = `${r.namespace}/${r.name}`;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `release ${key} is listed twice`, path: [i, 'name'] });
        seen.add(key);
      });
    })
    .default([])
    .describe('Releases `{ name, namespace, repo, chart, version, values, create_namespace: true, wait: true }`, installed in this order.'),
});

export type HelmVars = z.output<typeof helmVars>;
export type ReleaseVars = z.output<typeof releaseVars>;

/** The host's `helm` vars with defaults (read by other roles that install charts, e.g. cilium). */
export function helmOf(host: Host): HelmVars {
  return parseVars(helmVars, host.vars.helm ?? {}, host, 'helm');
}

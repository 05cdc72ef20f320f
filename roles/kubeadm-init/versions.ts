import { ParseError } from '../../src/errors.js';
import type { Host } from '../../src/inventory/types.js';
import { clusterOf } from '../../src/net/cluster.js';

/**
 * What `stable-1.MINOR` means to this role: the newest patch release of each
 * minor as published in kubernetes/kubernetes CHANGELOG/CHANGELOG-1.MINOR.md
 * on 2025-06-17 (the last day this table was checked). kubeadm would resolve
 * the label through dl.k8s.io at init time, a different answer on every run;
 * here it is resolved at plan time, the same on every run, and the plan says
 * which version it became. A newer patch needs a newer labwright or a pinned
 * `cluster.kubernetes_version`.
 */
export const STABLE_RELEASES: Readonly<Record<number, string>> = {
  29: '1.29.15',
  30: '1.30.14',
  31: '1.31.10',
  32: '1.32.6',
  33: '1.33.2',
};

/** The pinned version of `cluster.kubernetes_version` ("1.32.2" as is, "stable-1.32" from the table); a minor not in the table is an error naming host and key. */
export function resolvedKubernetesVersion(host: Host): string {
  const v = clusterOf(host).kubernetes_version;
  const label = /^stable-1\.(\d+)$/.exec(v);
  if (!label) return v;
  const pinned = STABLE_RELEASES[Number(label[1])];
  if (pinned) return pinned;
  const known = Object.keys(STABLE_RELEASES).map((m) => `stable-1.${m}`).join(', ');
  throw new ParseError(
    `host ${host.name}: cluster.kubernetes_version: ${v} is not in kubeadm-init's pinned table (${known}, as of 2025-06-17); pin a version such as 1.${label[1]}.0 instead`,
  );
}

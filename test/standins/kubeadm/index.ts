import { readFileSync } from 'node:fs';
import type { LabHost } from '../../lab/index.js';
import { shOn } from '../../support/lab-shell.js';

/** Where the kubeadm stand-in logs its calls on a host, one JSON object a line. */
const STANDIN_LOG = '/var/log/kubeadm-standin.log';
/** Where installKubeadmStandin puts make-debs.sh: `/tmp/make-debs.sh VERSION [REPO]` builds (and installs, or adds to REPO) kubeadm, kubelet and kubectl packages of that version. */
export const MAKE_DEBS = '/tmp/make-debs.sh';

/** One call of the stand-in, as it logged it, with the host it ran on. */
export interface KubeadmCall {
  t: number;
  argv: string[];
  config: Record<string, unknown> | null;
  exit: number;
  host: string;
}

/**
 * The kubeadm stand-in (test/standins/kubeadm/kubeadm: not kubeadm) on a lab
 * host as /usr/local/bin/kubeadm, with python3-yaml from Debian for it, and
 * make-debs.sh at MAKE_DEBS. A safety net for the network rule comes first:
 * should anything ask apt (or curl) for the Kubernetes repository, it reaches
 * a closed port on the container itself, never the internet.
 */
export async function installKubeadmStandin(host: LabHost): Promise<void> {
  const file = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url)).toString('base64');
  await shOn(
    host,
    `set -e; echo '127.0.0.1 pkgs.k8s.io # labwright lab test: never fetched' >> /etc/hosts
python3 -c 'import yaml' 2>/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-yaml >/dev/null; }
echo ${file('kubeadm')} | base64 -d > /usr/local/bin/kubeadm && chmod 0755 /usr/local/bin/kubeadm
echo ${file('make-debs.sh')} | base64 -d > ${MAKE_DEBS} && chmod 0755 ${MAKE_DEBS}`,
  );
}

/** The stand-in's calls on a host, in order ([] when kubeadm never ran there). */
export async function kubeadmCalls(host: LabHost): Promise<KubeadmCall[]> {
  const text = await shOn(host, `cat ${STANDIN_LOG} 2>/dev/null || true`);
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ ...(JSON.parse(l) as Omit<KubeadmCall, 'host'>), host: host.name }));
}

import { readFileSync } from 'node:fs';
import type { LabHost } from '../../lab/index.js';

/**
 * Test-side helpers for the kubectl STAND-IN (see README.md beside this
 * file): install it on a lab host, read what it recorded and stored. It is
 * not kubectl; nothing here talks to a cluster.
 */

export const STANDIN_SCRIPT = new URL('./kubectl-standin.py', import.meta.url);
/** The node verbs, imported by the script from its own directory. */
export const STANDIN_NODES = new URL('./kubectl_standin_nodes.py', import.meta.url);
export const STANDIN_LOG = '/var/log/kubectl-standin.log';
export const STANDIN_STORE = '/var/lib/kubectl-standin';
export const FAKE_KUBECONFIG = '/etc/kubernetes/admin.conf';

export interface Invocation {
  argv: string[];
  verb: string | null;
  objects: string[];
  exit: number;
}

async function sh(host: LabHost, script: string): Promise<string> {
  const { output, exitCode } = await host.exec(['sh', '-c', script]);
  if (exitCode !== 0) throw new Error(`${host.name}: exit ${exitCode}: ${script.slice(0, 200)}\n${output}`);
  return output;
}

/** Installs the stand-in as /usr/local/bin/kubectl and a FAKE /etc/kubernetes/admin.conf (root-only, as kubeadm writes it). */
export async function installKubectlStandin(host: LabHost): Promise<void> {
  const script = readFileSync(STANDIN_SCRIPT).toString('base64');
  const nodes = readFileSync(STANDIN_NODES).toString('base64');
  const kubeconfig = Buffer.from('# FAKE kubeconfig for the kubectl stand-in (lab tests): there is no cluster\napiVersion: v1\nkind: Config\nclusters: []\n').toString('base64');
  await sh(
    host,
    `set -e; echo ${script} | base64 -d > /usr/local/bin/kubectl; chmod 0755 /usr/local/bin/kubectl
     echo ${nodes} | base64 -d > /usr/local/bin/kubectl_standin_nodes.py
     mkdir -p /etc/kubernetes; echo ${kubeconfig} | base64 -d > ${FAKE_KUBECONFIG}; chmod 0600 ${FAKE_KUBECONFIG}
     rm -rf ${STANDIN_STORE} ${STANDIN_LOG}`,
  );
}

/** Every recorded invocation, in order ([] when kubectl never ran on the host). */
export async function invocations(host: LabHost): Promise<Invocation[]> {
  const text = await sh(host, `cat ${STANDIN_LOG} 2>/dev/null || true`);
  return text.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Invocation);
}

/** Invocations that change the stored state (apply, create, delete). */
export function writes(calls: readonly Invocation[]): Invocation[] {
  return calls.filter((c) => c.verb === 'apply' || c.verb === 'create' || c.verb === 'delete');
}

/** The stored text of an object, or undefined. `group` is "core" for the core API. */
export async function storedObject(host: LabHost, o: { group: string; kind: string; namespace?: string; name: string }): Promise<string | undefined> {
  const path = `${STANDIN_STORE}/objects/${o.group}/${o.kind}/${o.namespace || '_'}/${o.name}.yaml`;
  const { output, exitCode } = await host.exec(['cat', path]);
  return exitCode === 0 ? output : undefined;
}

/** A checksum of everything the stand-in stored (objects, readiness, patches): equal = nothing applied. */
export async function storeFingerprint(host: LabHost): Promise<string> {
  return sh(host, `cd ${STANDIN_STORE} 2>/dev/null && find . -type f -print0 | sort -z | xargs -0 -r sha256sum | sha256sum || echo empty`);
}

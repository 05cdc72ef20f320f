import { readFileSync } from 'node:fs';
import type { LabHost } from '../../lab/index.js';
import { shOn } from '../../support/lab-shell.js';

/**
 * Test-side helpers for the helm STAND-IN (see README.md beside this file):
 * install it, give it FAKE charts, read what it recorded. It is not helm;
 * nothing here talks to a chart repository or a cluster.
 */

export const HELM_STANDIN_SCRIPT = new URL('./helm-standin.py', import.meta.url);
export const HELM_STANDIN_LOG = '/var/log/helm-standin.log';
export const HELM_STANDIN_STORE = '/var/lib/helm-standin';

export interface HelmInvocation {
  argv: string[];
  verb: string | null;
  /** The values file's text, for upgrade and diff. */
  values?: string;
  exit: number;
}

/** Installs the stand-in as `path` (default /usr/local/bin/helm) and empties its store and log. */
export async function installHelmStandin(host: LabHost, path = '/usr/local/bin/helm'): Promise<void> {
  const script = readFileSync(HELM_STANDIN_SCRIPT).toString('base64');
  await shOn(host, `set -e; echo ${script} | base64 -d > ${path}; chmod 0755 ${path}; rm -rf ${HELM_STANDIN_STORE} ${HELM_STANDIN_LOG}`);
}

/** Makes chart `name` at `version` available, as this FAKE manifest (applied through kubectl on install). */
export async function addFakeChart(host: LabHost, name: string, version: string, manifest: string): Promise<void> {
  const dir = `${HELM_STANDIN_STORE}/charts/${name}/${version}`;
  await shOn(host, `mkdir -p ${dir} && echo ${Buffer.from(manifest).toString('base64')} | base64 -d > ${dir}/manifest.yaml`);
}

/** Every recorded helm invocation, in order. */
export async function helmInvocations(host: LabHost): Promise<HelmInvocation[]> {
  const text = await shOn(host, `cat ${HELM_STANDIN_LOG} 2>/dev/null || true`);
  return text.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as HelmInvocation);
}

/** The stored release (chart, status, revision, values), or undefined. */
export async function storedRelease(host: LabHost, namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
  const { output, exitCode } = await host.exec(['cat', `${HELM_STANDIN_STORE}/releases/${namespace}/${name}.json`]);
  return exitCode === 0 ? (JSON.parse(output) as Record<string, unknown>) : undefined;
}

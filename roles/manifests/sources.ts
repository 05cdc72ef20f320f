import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { expandHome } from '../../src/inventory/controller-path.js';
import { checkObject, parseObjects } from '../../src/ops/kube-objects.js';
import type { ReleaseSource } from '../../src/ops/kubectl-release.js';
import type { K8sObject } from '../../src/ops/kubectl.js';
import { vendorManifest, vendorManifestPath, type VendorManifestArgs } from '../../src/ops/vendor-manifest.js';
import type { Op } from '../../src/ops/op.js';
import type { ManifestsVars, ReleaseVars } from './vars.js';

const MANIFEST_FILE = /\.(ya?ml|json)$/;

/** The release's directory on the host: its fetched manifests and its record. */
export function releaseDir(vars: ManifestsVars, release: ReleaseVars): string {
  return posix.join(vars.state_dir, release.name);
}

/** The file on the host recording the types the release applied (for prune). */
export function recordPath(vars: ManifestsVars, release: ReleaseVars): string {
  return posix.join(releaseDir(vars, release), 'applied-types');
}

/** The objects of a manifest file, or of every manifest file of a directory (name order, not recursive), on the controller. */
export function controllerObjects(path: string): K8sObject[] {
  const full = expandHome(path);
  let files: string[];
  try {
    files = statSync(full).isDirectory()
      ? readdirSync(full).filter((f) => MANIFEST_FILE.test(f)).sort().map((f) => join(full, f))
      : [full];
  } catch (e) {
    throw new Error(`manifests: cannot read ${path} on the controller: ${(e as Error).message}`);
  }
  if (files.length === 0) throw new Error(`manifests: the directory ${path} holds no *.yaml, *.yml or *.json file`);
  return files.flatMap((f) => parseObjects(readFileSync(f, 'utf8'), f));
}

/** How a URL source is fetched on the host (the vendor manifest op of the calico and metallb roles). */
function fetched(vars: ManifestsVars, release: ReleaseVars, url: string, sha256: string, index: number): VendorManifestArgs {
  return { stem: `source-${index + 1}`, version: sha256.slice(0, 12), url, sha256, dir: releaseDir(vars, release) };
}

/** The ops fetching the release's URL sources onto the host. */
export function fetchOps(vars: ManifestsVars, release: ReleaseVars): Op[] {
  return release.sources.flatMap((s, i) => ('url' in s ? vendorManifest(fetched(vars, release, s.url, s.sha256, i)) : []));
}

/** The release's sources as the release op reads them: controller objects read now, fetched files on the host. */
export function releaseSources(vars: ManifestsVars, release: ReleaseVars): ReleaseSource[] {
  return release.sources.map((s, i) => {
    if ('file' in s) return { objects: controllerObjects(s.file) };
    if ('url' in s) return { hostFile: vendorManifestPath(fetched(vars, release, s.url, s.sha256, i)), sha256: s.sha256, what: s.url };
    return { objects: s.objects.map((o, j) => checkObject(o, `manifests.releases[${release.name}].sources[${i}].objects[${j}]`)) };
  });
}

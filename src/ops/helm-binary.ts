import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defineFact } from '../facts/fact.js';
import { expandHome } from '../inventory/controller-path.js';
import { sh, type Command } from '../shell/quote.js';
import { fromFacts } from './from-facts.js';
import { change, ok, type Op } from './op.js';
import { apt } from './packages.js';

/**
 * The helm binary at a pinned version, from the release tarball
 * (`helm-v3.17.3-linux-amd64.tar.gz`), its sha256 checked before anything
 * is unpacked: fetched on the host (`url`, https only) or copied from the
 * controller (`file`, air-gapped hosts; its checksum is checked on the
 * controller at plan time and again on the host). A mismatching checksum is
 * refused and the installed binary stays as it was.
 */
export interface HelmBinaryArgs {
  /** `v3.17.3` */
  version: string;
  /** sha256 of the tarball, as published next to it (`….tar.gz.sha256sum`). */
  sha256: string;
  /** Where the host fetches the tarball; default `https://get.helm.sh/helm-VERSION-linux-ARCH.tar.gz`. */
  url?: string;
  /** The tarball on the controller: copied instead of fetched. */
  file?: string;
  /** `amd64`, `arm64`, … (the tarball's directory `linux-ARCH/`); default: the host's (`uname -m`). */
  arch?: string;
  /** Default `/usr/local/bin/helm`. */
  dest?: string;
}

/** The version an installed helm reports (`v3.17.3`), or undefined when there is none at `path`. */
export const helmVersion = defineFact('helm-version', (path: string) => ({
  command: sh`if [ -x ${path} ]; then ${path} version --template '{{.Version}}' 2>/dev/null || echo unknown; fi`,
  parse: ({ stdout }): string | undefined => stdout.trim() || undefined,
}));

/** Go's name of the host's architecture (`uname -m`: x86_64 → amd64, aarch64 → arm64, armv7l → arm). */
export const machineArch = defineFact('go-arch', () => ({
  command: sh`uname -m`,
  parse: ({ stdout }): string => {
    const m = stdout.trim();
    return ({ x86_64: 'amd64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'arm', i686: '386', ppc64le: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[m] ?? m;
  },
}));

export function helmTarballUrl(version: string, arch: string): string {
  return `https://get.helm.sh/helm-${version}-linux-${arch}.tar.gz`;
}

/** Checks the tarball in "$lw_tgz" against the sha256, then installs its `linux-ARCH/helm` as `dest`. */
function unpackCommand(args: HelmBinaryArgs & { arch: string }, dest: string, what: string): Command {
  return sh`[ "$(sha256sum < "$lw_tgz" | cut -d' ' -f1)" = ${args.sha256} ] || { echo ${`${what}: sha256 is not ${args.sha256}: refusing to install it`} >&2; exit 1; }
lw_dir=$(mktemp -d)
tar -xzf "$lw_tgz" -C "$lw_dir" ${`linux-${args.arch}/helm`}
install -m 0755 "$lw_dir"/${`linux-${args.arch}/helm`} ${dest}
rm -rf "$lw_dir"`;
}

/** The ops installing helm (see HelmBinaryArgs); the arch is read from the host when not given. */
export function helmBinary(args: HelmBinaryArgs): Op[] {
  if (args.arch) return helmBinaryFor({ ...args, arch: args.arch });
  const arch = machineArch();
  return [fromFacts(`helm ${args.version}`, { facts: [arch], read: (ctx) => ctx.fact(arch) }, (found) => helmBinaryFor({ ...args, arch: found }))];
}

function helmBinaryFor(args: HelmBinaryArgs & { arch: string }): Op[] {
  const dest = args.dest ?? '/usr/local/bin/helm';
  const installed = helmVersion(dest);
  let payload: Buffer | undefined;
  let source: string;
  if (args.file) {
    source = args.file;
    try {
      payload = readFileSync(expandHome(args.file));
    } catch (e) {
      throw new Error(`helm tarball ${args.file} on the controller: ${(e as Error).message}`);
    }
    const found = createHash('sha256').update(payload).digest('hex');
    if (found !== args.sha256) throw new Error(`helm tarball ${args.file}: sha256 is ${found}, expected ${args.sha256}: refusing to install it`);
  } else {
    source = args.url ?? helmTarballUrl(args.version, args.arch);
    if (new URL(source).protocol !== 'https:') throw new Error(`${source}: the helm tarball is fetched over https only (or set its file on the controller)`);
  }
  const script = payload
    ? sh`set -e
lw_tgz=$(mktemp)
trap 'rm -f "$lw_tgz"' EXIT
base64 -d > "$lw_tgz"
${unpackCommand(args, dest, source)}`
    : sh`set -e
lw_tgz=$(mktemp)
trap 'rm -f "$lw_tgz"' EXIT
curl -fsSL --proto =https --proto-redir =https --retry 3 --connect-timeout 20 -o "$lw_tgz" ${source}
${unpackCommand(args, dest, source)}`;
  const install: Op = {
    label: `helm ${args.version}`,
    facts: [installed],
    async plan(ctx) {
      const now = await ctx.fact(installed);
      if (now === args.version) return ok(`${dest} is helm ${args.version}`);
      const from = now ? `helm ${now} → ${args.version}` : `helm ${args.version}`;
      return change({ summary: `install ${from} at ${dest} from ${source} (sha256 ${args.sha256.slice(0, 12)}… checked)` }, async (c) => {
        await c.run(script, payload ? { stdin: payload.toString('base64') } : undefined);
      });
    },
  };
  return payload ? [install] : [apt({ packages: ['curl', 'ca-certificates'] }), install];
}

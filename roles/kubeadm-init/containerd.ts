import { defineFact } from '../../src/facts/fact.js';
import type { RenderedContent } from '../../src/ops/fact-file.js';
import { renderTemplate } from '../../src/ops/template.js';
import { joinCommands, sh, type Command } from '../../src/shell/quote.js';

const V2 = new URL('./templates/containerd-v2.toml.hbs', import.meta.url);
const V3 = new URL('./templates/containerd-v3.toml.hbs', import.meta.url);

/**
 * The installed containerd's version ("1.6.20~ds1", "2.0.4"), from
 * `containerd --version` ("containerd <module> <version> <revision>");
 * undefined when it is not installed.
 */
export const containerdVersion = defineFact('containerd-version', () => ({
  command: sh`containerd --version`,
  parse: ({ stdout, code }): string | undefined => {
    if (code !== 0) return undefined;
    const v = stdout.trim().split(/\s+/)[2];
    return v ? v.replace(/^v/, '') : undefined;
  },
}));

/**
 * /etc/containerd/config.toml for the containerd that is installed: config
 * version 2 and the `io.containerd.grpc.v1.cri` plugin for containerd 1.x,
 * version 3 and `io.containerd.cri.v1.runtime`/`images` for 2.x. Before
 * containerd is installed (check mode on a fresh host) the 1.x form is
 * assumed, and the plan says so.
 */
export function renderContainerdConfig(version: string | undefined, pauseImage: string): RenderedContent {
  const major = version ? Number(version.split('.')[0]) : undefined;
  const template = major !== undefined && major >= 2 ? V3 : V2;
  const content = renderTemplate(template, { pause_image: pauseImage });
  if (version === undefined) return { content, assumption: 'containerd is not installed yet: assuming 1.x (config version 2), as in Debian bookworm' };
  if (!Number.isFinite(major)) return { content, assumption: `cannot read a major version from containerd ${version}: assuming 1.x` };
  return { content };
}

/** An extra runtime of the CRI plugin (the role's `containerd_runtimes` entry). */
export interface ContainerdRuntime {
  runtime_type: string;
  binary_name?: string;
  systemd_cgroup: boolean;
}

/** The directory the main config imports (`imports = ["/etc/containerd/conf.d/*.toml"]`). */
export const CONTAINERD_DROPIN_DIR = '/etc/containerd/conf.d';

const tomlString = (s: string) => JSON.stringify(s); // a TOML basic string: JSON's escaping is a subset of it

/**
 * A drop-in with extra runtimes, in the config version of the installed
 * containerd (2 for 1.x under `io.containerd.grpc.v1.cri`, 3 for 2.x under
 * `io.containerd.cri.v1.runtime`): containerd merges imported files into the
 * main config, table by table, so the main config stays as the role wrote it.
 */
export function renderRuntimesDropin(version: string | undefined, runtimes: Readonly<Record<string, ContainerdRuntime>>): RenderedContent {
  const major = version ? Number(version.split('.')[0]) : undefined;
  const v3 = major !== undefined && major >= 2;
  const base = v3 ? "plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes" : 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes';
  const lines = ['# Managed by labwright (role kubeadm-init): extra containerd runtimes, imported by /etc/containerd/config.toml.', `version = ${v3 ? 3 : 2}`];
  for (const [name, r] of Object.entries(runtimes)) {
    lines.push('', `[${base}.${name}]`, `  runtime_type = ${tomlString(r.runtime_type)}`, '', `[${base}.${name}.options]`);
    if (r.binary_name) lines.push(`  BinaryName = ${tomlString(r.binary_name)}`);
    lines.push(`  SystemdCgroup = ${r.systemd_cgroup}`);
  }
  const content = lines.join('\n') + '\n';
  return version === undefined ? { content, assumption: 'containerd is not installed yet: assuming 1.x (config version 2)' } : { content };
}

/**
 * Validates a drop-in on its temp file: containerd loads a throwaway main
 * config (in the config version of the installed containerd) that imports
 * only it and prints the merged config, which must name every runtime (a
 * table containerd did not take would be missing).
 */
export function validateDropin(tmp: string, names: readonly string[]): Command {
  const checks = names.map((n) => sh`grep -qF ${`runtimes.${n}]`} "$d.out"`);
  return joinCommands(
    [
      sh`d=$(mktemp)`,
      sh`trap 'rm -f "$d" "$d.out"' EXIT`,
      // containerd 1.x reads config version 2, 2.x version 3 (and 2)
      sh`case "$(containerd --version | awk '{print $3}')" in v1.*|1.*) v=2 ;; *) v=3 ;; esac`,
      sh`printf 'version = %s\nimports = [%s]\n' "$v" ${tomlString(tmp)} > "$d"`,
      sh`containerd --config "$d" config dump > "$d.out"`,
      ...checks,
    ],
    ' && ',
  );
}

import { defineFact } from '../../src/facts/fact.js';
import type { RenderedContent } from '../../src/ops/fact-file.js';
import { renderTemplate } from '../../src/ops/template.js';
import { sh } from '../../src/shell/quote.js';

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

import { esc } from './escape.js';
import type { Picture } from './model.js';
import { planSvg } from './svg.js';

const STYLE = `
body { margin: 16px; font: 13px/1.4 system-ui, sans-serif; color: #111827; background: #ffffff; }
h1 { font-size: 18px; margin: 0 0 4px; }
p.summary { margin: 0 0 12px; }
p.summary.refused { color: #dc2626; font-weight: bold; }
svg.plan { display: block; max-width: none; }
details { margin-top: 16px; }
pre { font-size: 12px; background: #f9fafb; padding: 8px; overflow-x: auto; }
`;

/**
 * The picture as a standalone HTML page: the SVG inline, then the text
 * address map `--plan` prints. Inline style only, no script, and a content
 * security policy that lets the page fetch nothing.
 */
export function planHtml(picture: Picture, addressMap: string): string {
  const refused = picture.problems.length > 0;
  const summary = refused
    ? `${picture.problems.length} conflict(s): the plan is refused, no host is touched`
    : `no conflicts${picture.warnings.length ? `, ${picture.warnings.length} warning(s)` : ''}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<title>labwright address plan</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>Address plan</h1>',
    `<p class="summary${refused ? ' refused' : ''}">${esc(summary)}</p>`,
    planSvg(picture),
    `<details><summary>address map (as --plan prints it)</summary><pre>${esc(addressMap)}</pre></details>`,
    '</body></html>',
    '',
  ].join('\n');
}

import { numberToV4 } from '../../net/address.js';
import { esc } from './escape.js';
import type { Band, Involvement, Lane, Mark, Picture, SideNetwork, UsePurpose } from './model.js';

/** Drawing sizes, in px; text is 12px monospace, so a label's width is its length times CHAR. */
const WIDTH = 1100;
const MARGIN = 24;
const CHAR = 7.3;
const ROW = 16;
const CHIP = 9;

/** The colour of each use, and the order a mark takes its colour in (the first use present). */
const PURPOSES: readonly (readonly [UsePurpose, string, string])[] = [
  ['gateway', '#374151', 'gateway'],
  ['node', '#2563eb', 'node'],
  ['vip', '#0891b2', 'VIP'],
  ['loadbalancer', '#059669', 'load balancer'],
  ['reservation', '#7c3aed', 'DHCP reservation'],
  ['endpoint', '#92400e', 'control plane endpoint'],
  ['vrrp', '#0e7490', 'VRRP id'],
  ['listen', '#64748b', 'listener'],
  ['route', '#4d7c0f', 'route gateway'],
];

const STYLE = `
.plan text { fill: #111827; }
.plan .muted { fill: #6b7280; }
.plan .head { font-weight: bold; }
.plan .lane-line { stroke: #9ca3af; stroke-width: 2; }
.plan .leader { stroke: #d1d5db; stroke-width: 1; fill: none; }
.plan .band.dhcp rect { fill: #bfdbfe; stroke: #60a5fa; }
.plan .band.loadbalancer rect { fill: #bbf7d0; stroke: #34d399; }
.plan .network rect.bar { fill: #f3f4f6; stroke: #9ca3af; }
.plan .pool rect { fill: #e9d5ff; stroke: #a78bfa; }
${PURPOSES.map(([p, colour]) => `.plan .use.${p}, .plan .mark.${p} { fill: ${colour}; }`).join('\n')}
/* conflicts (red) and warnings (amber) win over every colour above */
.plan .band.warned > rect, .plan .pool.warned > rect, .plan rect.warned, .plan .mark.warned, .plan .use.warned { stroke: #d97706 !important; stroke-width: 2 !important; }
.plan .warned > text, .plan .warned > text tspan { fill: #b45309 !important; }
.plan .warning text { fill: #b45309 !important; }
.plan .band.conflict > rect, .plan .pool.conflict > rect, .plan rect.conflict { fill: #fecaca !important; stroke: #dc2626 !important; stroke-width: 3 !important; }
.plan .mark.conflict, .plan .use.conflict { fill: #dc2626 !important; stroke: #dc2626 !important; }
.plan .lane-line.conflict { stroke: #dc2626 !important; stroke-width: 4 !important; }
.plan .conflict > text, .plan .conflict > text tspan { fill: #dc2626 !important; }
.plan .problem text, .plan .problems .head { fill: #dc2626 !important; }
.plan .sound text { fill: #15803d; }
`;

const textWidth = (text: string) => text.length * CHAR;

/** class names and data attributes of an element involved in problems (red) or warnings (amber). */
function involved(i: Involvement): { cls: string; attrs: string; suffix: string } {
  const cls = `${i.problems.length ? ' conflict' : ''}${i.warnings.length ? ' warned' : ''}`;
  const attrs = `${i.problems.length ? ` data-problems="${i.problems.map((n) => n + 1).join(' ')}"` : ''}${i.warnings.length ? ` data-warnings="${i.warnings.map((n) => n + 1).join(' ')}"` : ''}`;
  const refs = [...i.problems.map((n) => `${n + 1}`), ...i.warnings.map((n) => `W${n + 1}`)];
  return { cls, attrs, suffix: refs.length ? `  ! ${refs.join(', ')}` : '' };
}

/** A hover text: what, who claims it, and the sentences of the problems and warnings that speak of it. */
function title(picture: Picture, what: string, by: readonly string[], i: Involvement): string {
  const lines = [what + (by.length ? ` [${by.join(', ')}]` : ''), ...i.problems.map((n) => `conflict ${n + 1}: ${picture.problems[n]}`), ...i.warnings.map((n) => `warning W${n + 1}: ${picture.warnings[n]}`)];
  return `<title>${esc(lines.join('\n'))}</title>`;
}

/** Words of `text` in lines of at most `chars` characters. */
function wrap(text: string, chars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > chars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

class Canvas {
  readonly parts: string[] = [];
  y = MARGIN;
  constructor(readonly width: number) {}
  get lineWidth() {
    return this.width - 2 * MARGIN;
  }
  x(at: number) {
    return MARGIN + at * this.lineWidth;
  }
}

const px = (n: number) => Number(n.toFixed(1));

/** One chip per use and band kind, with its name. */
function legend(c: Canvas) {
  let x = MARGIN;
  const entries = [...PURPOSES.map(([p, , label]) => [`use ${p}`, CHIP, label] as const), ['band dhcp', 2 * CHIP, 'DHCP range'] as const, ['band loadbalancer', 2 * CHIP, 'load balancer pool'] as const];
  c.parts.push('<g class="legend">');
  for (const [cls, width, label] of entries) {
    if (x + width + 4 + textWidth(label) > c.width - MARGIN) [x, c.y] = [MARGIN, c.y + ROW];
    const chip = `<rect x="${px(x)}" y="${c.y}" width="${width}" height="${CHIP}"/>`;
    c.parts.push(cls.startsWith('use') ? chip.replace('<rect', `<rect class="${cls}"`) : `<g class="${cls}">${chip}</g>`);
    c.parts.push(`<text x="${px(x + width + 4)}" y="${c.y + 9}">${esc(label)}</text>`);
    x += width + 4 + textWidth(label) + 14;
  }
  c.parts.push('</g>');
  c.y += 28;
}

const rank = (p: UsePurpose) => PURPOSES.findIndex(([q]) => q === p);

/** A mark's label: its address and uses (most telling first; listeners as their ports, told in full by the hover title), and its width. */
function markLabel(mark: Mark): { uses: Mark['uses']; text: string; width: number } {
  const uses = [...mark.uses].sort((a, b) => rank(a.purpose) - rank(b.purpose));
  const ports = [...new Set(uses.flatMap((u) => (u.purpose === 'listen' && u.port ? [`:${u.port}`] : [])))];
  const texts = [...new Set(uses.filter((u) => u.purpose !== 'listen').map((u) => u.text)), ...(ports.length ? [`listeners ${ports.join(' ')}`] : [])];
  const text = `${mark.ip}  ${texts.join(' · ')}${involved(mark).suffix}`;
  return { uses, text, width: uses.length * (CHIP + 2) + 4 + textWidth(text) };
}

/**
 * Where a label starts: right of its mark, else left of it, else as far
 * right as it fits (each label has a row of its own, so labels never overlap).
 */
function labelStart(width: number, x: number, labelWidth: number): number {
  if (x + 6 + labelWidth <= width - MARGIN / 2) return x + 6;
  if (x - 6 - labelWidth >= MARGIN / 2) return x - 6 - labelWidth;
  return Math.max(MARGIN / 2, width - MARGIN / 2 - labelWidth);
}

/** The picture's width: the default, or wider when a label is wider than that. */
function widthFor(picture: Picture): number {
  return Math.ceil(Math.max(WIDTH, ...picture.lanes.flatMap((l) => l.marks).map((mark) => markLabel(mark).width + MARGIN)));
}

function drawMark(c: Canvas, picture: Picture, mark: Mark, row: number, top: number, lineY: number) {
  const x = c.x(mark.at);
  const rowY = top + row * ROW;
  const inv = involved(mark);
  const { uses, text, width } = markLabel(mark);
  const chipsWidth = uses.length * (CHIP + 2);
  const start = labelStart(c.width, x, width);
  const principal = PURPOSES.find(([p]) => mark.uses.some((u) => u.purpose === p))![0];
  const chips = uses
    .map((u, i) => `<rect class="use ${u.purpose}${involved(u).cls}" data-purpose="${u.purpose}" x="${px(start + i * (CHIP + 2))}" y="${rowY - CHIP}" width="${CHIP}" height="${CHIP}">${title(picture, `${u.purpose}: ${u.text}`, u.by, u)}</rect>`)
    .join('');
  c.parts.push(
    `<g class="address${inv.cls}" data-ip="${esc(mark.ip)}" data-at="${mark.at}"${inv.attrs}>` +
      title(picture, mark.uses.map((u) => `${u.purpose}: ${u.text} [${u.by.join(', ')}]`).join('\n'), [], mark) +
      `<path class="leader" d="M${px(x)} ${lineY} V${rowY - 4} H${px(start)}"/>` +
      `<circle class="mark ${principal}${inv.cls}" cx="${px(x)}" cy="${lineY}" r="4"/>` +
      chips +
      `<text class="label" x="${px(start + chipsWidth + 4)}" y="${rowY}">${esc(text)}</text></g>`,
  );
}

/** Bands in rows under the line, a band going to the first row where it and its label do not overlap another. */
function drawBands(c: Canvas, picture: Picture, bands: readonly Band[]): number {
  const rowsEnd: number[] = [];
  for (const band of bands) {
    const [x1, x2] = [c.x(band.from), c.x(band.to)];
    const inv = involved(band);
    const text = `${band.range} ${band.what}${inv.suffix}`;
    const fitsRight = x1 + 3 + textWidth(text) <= c.width - MARGIN;
    const textX = fitsRight ? x1 + 3 : Math.max(MARGIN, x1 - 4 - textWidth(text));
    const end = Math.max(x2, textX + textWidth(text)) + 12;
    let row = rowsEnd.findIndex((e) => e <= Math.min(x1, textX));
    if (row < 0) row = rowsEnd.push(end) - 1;
    else rowsEnd[row] = end;
    const y = c.y + row * (ROW + 4);
    c.parts.push(
      `<g class="band ${band.purpose}${inv.cls}" data-range="${esc(band.range)}" data-from="${band.from}" data-to="${band.to}"${inv.attrs}>${title(picture, `${band.purpose === 'dhcp' ? 'DHCP range' : 'load balancer pool'} ${band.range} ${band.what}`, band.by, band)}` +
        `<rect x="${px(x1)}" y="${y}" width="${px(Math.max(2, x2 - x1))}" height="${ROW - 2}"/>` +
        `<text x="${px(textX)}" y="${y + 11}">${esc(text)}</text></g>`,
    );
  }
  return rowsEnd.length * (ROW + 4);
}

function drawLane(c: Canvas, picture: Picture, lane: Lane) {
  const inv = involved(lane);
  const head = `${lane.what}${lane.cidr ? ` ${lane.cidr}` : ''}`;
  const notes = `${lane.by.length ? `  [${lane.by.join(', ')}]` : ''}${lane.attached.length ? `  ${lane.attached.join(', ')}` : ''}${lane.mtus.length ? `  MTU ${lane.mtus.join(', ')}` : ''}${inv.suffix}`;
  c.parts.push(`<g class="lane${inv.cls}"${lane.cidr ? ` data-cidr="${esc(lane.cidr)}"` : ''}${inv.attrs}>${title(picture, head, lane.by, lane)}`);
  c.parts.push(`<text class="head" x="${MARGIN}" y="${c.y + 12}">${esc(head)}<tspan class="muted" font-weight="normal">${esc(notes)}</tspan></text>`);
  const top = c.y + 12 + ROW + 6;
  const lineY = top + Math.max(0, lane.marks.length - 1) * ROW + 14;
  c.parts.push(`<line class="lane-line${inv.cls}" x1="${MARGIN}" y1="${lineY}" x2="${c.width - MARGIN}" y2="${lineY}"/>`);
  for (const band of lane.bands) c.parts.push(`<rect class="on-line ${band.purpose === 'dhcp' ? 'dhcp' : 'pool'}${involved(band).cls}" x="${px(c.x(band.from))}" y="${lineY - 5}" width="${px(Math.max(2, c.x(band.to) - c.x(band.from)))}" height="10" fill="${band.purpose === 'dhcp' ? '#93c5fd' : '#86efac'}" opacity="0.7"/>`);
  lane.marks.forEach((mark, row) => drawMark(c, picture, mark, row, top, lineY));
  c.parts.push(
    `<text class="muted bound" x="${MARGIN}" y="${lineY + 16}">${numberToV4(lane.first)}</text>` +
      `<text class="muted bound" x="${c.width - MARGIN}" y="${lineY + 16}" text-anchor="end">${numberToV4(lane.last)}</text>`,
  );
  c.y = lineY + 24;
  c.y += drawBands(c, picture, lane.bands) + 16;
  c.parts.push('</g>');
}

function drawNetwork(c: Canvas, picture: Picture, net: SideNetwork) {
  const inv = involved(net);
  const notes = `  [${net.by.join(', ')}]${net.mtus.length ? `  MTU ${net.mtus.join(', ')}` : ''}${inv.suffix}`;
  c.parts.push(`<g class="network ${esc(net.purpose)}${inv.cls}" data-cidr="${esc(net.cidr)}"${inv.attrs}>${title(picture, `${net.what} ${net.cidr}`, net.by, net)}`);
  c.parts.push(`<text x="${MARGIN}" y="${c.y + 12}"><tspan class="head">${esc(`${net.what} ${net.cidr}`)}</tspan><tspan class="muted">${esc(notes)}</tspan></text>`);
  c.y += 18;
  c.parts.push(`<rect class="bar${inv.cls}" x="${MARGIN}" y="${c.y}" width="${c.lineWidth}" height="14"/>`);
  for (const pool of net.pools) {
    const p = involved(pool);
    c.parts.push(
      `<g class="pool${p.cls}" data-cidr="${esc(pool.cidr)}" data-from="${pool.from}" data-to="${pool.to}"${p.attrs}>${title(picture, `${pool.what} ${pool.cidr}`, pool.by, pool)}` +
        `<rect x="${px(c.x(pool.from))}" y="${c.y + 3}" width="${px(Math.max(2, c.x(pool.to) - c.x(pool.from)))}" height="8"/>` +
        `<text x="${px(c.x(pool.from))}" y="${c.y + 28}">${esc(`${pool.what} ${pool.cidr}  [${pool.by.join(', ')}]${p.suffix}`)}</text></g>`,
    );
  }
  c.y += net.pools.length ? 40 : 24;
  c.parts.push('</g>');
}

/** Numbered sentences (conflicts, warnings) wrapped to the width. */
function drawSentences(c: Canvas, cls: string, heading: string, sentences: readonly string[], prefix: string) {
  const chars = Math.floor(c.lineWidth / CHAR) - 6;
  c.parts.push(`<g class="${cls}s"><text class="head ${cls}-head" x="${MARGIN}" y="${c.y + 12}">${esc(heading)}</text>`);
  c.y += 12 + ROW;
  sentences.forEach((sentence, i) => {
    const lines = wrap(`${prefix}${i + 1}. ${sentence}`, chars);
    c.parts.push(`<g class="${cls}" data-n="${i + 1}"><text x="${MARGIN}" y="${c.y + 12}">${lines.map((l, j) => `<tspan x="${MARGIN + (j ? 4 * CHAR : 0)}" dy="${j ? ROW : 0}">${esc(l)}</tspan>`).join('')}</text></g>`);
    c.y += lines.length * ROW + 4;
  });
  c.parts.push('</g>');
  c.y += 8;
}

/**
 * The picture as a standalone SVG document: inline style, system monospace
 * font, nothing fetched. Each element carries its data (data-ip, data-at,
 * data-range, data-cidr, data-problems) and a hover title with who claims it.
 */
export function planSvg(picture: Picture): string {
  const c = new Canvas(widthFor(picture));
  c.parts.push(`<text class="head" x="${MARGIN}" y="${c.y + 4}" font-size="15">${esc('labwright address plan')}</text>`);
  c.y += 20;
  legend(c);
  for (const lane of picture.lanes) drawLane(c, picture, lane);
  if (picture.networks.length) {
    c.parts.push(`<text class="head muted" x="${MARGIN}" y="${c.y + 12}">pod, service and other networks</text>`);
    c.y += 22;
    for (const net of picture.networks) drawNetwork(c, picture, net);
    c.y += 8;
  }
  if (picture.problems.length) drawSentences(c, 'problem', `CONFLICTS (${picture.problems.length}): the plan is refused, no host is touched`, picture.problems, '');
  else {
    c.parts.push(`<g class="sound"><text class="head" x="${MARGIN}" y="${c.y + 12}">address plan: no conflicts</text></g>`);
    c.y += 24;
  }
  if (picture.warnings.length) drawSentences(c, 'warning', `WARNINGS (${picture.warnings.length}): the plan runs, but check these`, picture.warnings, 'W');
  const height = Math.ceil(c.y + MARGIN);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="plan" width="${c.width}" height="${height}" viewBox="0 0 ${c.width} ${height}" font-family="monospace" font-size="12">` +
    `<style>${STYLE}</style><rect width="100%" height="100%" fill="#ffffff"/>${c.parts.join('\n')}</svg>\n`
  );
}

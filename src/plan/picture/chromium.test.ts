import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { site } from '../../../playbooks/site.js';
import { captureIo } from '../../../test/support/io.js';
import { countPixels, decodePng, pixel, type Png } from '../../../test/support/png.js';
import { main } from '../../cli/main.js';

/**
 * Renders the pictures of the example inventories, of a broken one and of
 * one with hostile host names in headless Chromium (Debian's `chromium`,
 * installed by .ci/run): the drawn elements after layout (a probe page
 * holding the SVGs reports their boxes and computed colours), and
 * screenshots of the HTML and SVG files (decoded, their pixels counted).
 */
const chromiumPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'chromium')).find((file) => existsSync(file));
if (!chromiumPath) console.warn('SKIPPED: the plan picture tests in headless Chromium need the `chromium` command (apt-get install chromium; .ci/run installs it)');

const RED = 'rgb(220, 38, 38)';
const isRed = ([r, g, b]: [number, number, number]) => r >= 190 && g <= 80 && b <= 80;
const isInk = ([r, g, b]: [number, number, number]) => r + g + b < 3 * 235;

const root = new URL('../../../', import.meta.url);
const inventories: Record<string, string> = {
  home: new URL('inventory/home.yaml', root).pathname,
  ...Object.fromEntries(readdirSync(new URL('inventory/examples/', root)).filter((f) => f.endsWith('.yaml')).map((f) => [f.replace(/\.yaml$/, ''), new URL(`inventory/examples/${f}`, root).pathname])),
};

interface Drawn {
  code: number;
  stdout: string;
  stderr: string;
  html: string;
  svg: string;
}

const dir = mkdtempSync(join(tmpdir(), 'lw-picture-chromium-'));
const drawn: Record<string, Drawn> = {};

async function draw(name: string, inventory: string): Promise<Drawn> {
  const [html, svg] = [join(dir, `${name}.html`), join(dir, `${name}.svg`)];
  const io = captureIo();
  const code = await main(site, ['-i', inventory, '--plan', '--html', html, '--svg', svg], io);
  return { code, stdout: io.stdout, stderr: io.stderr, html, svg };
}

/** home.yaml with w3 (no MAC, so no reservation) moved into the DHCP range and the MetalLB pool grown into it. */
function brokenHome(): string {
  const home = readFileSync(inventories.home, 'utf8');
  const broken = home
    .replace('w3: { ansible_host: 192.168.50.23, mac: "52:54:00:00:50:23" }', 'w3: { ansible_host: 192.168.50.150 }')
    .replace('addresses: 192.168.50.200-192.168.50.230', 'addresses: 192.168.50.190-192.168.50.230');
  expect(broken.match(/192\.168\.50\.150|192\.168\.50\.190-/g)).toHaveLength(2);
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, broken);
  return file;
}

const HOSTILE = ['<img/src=x/onerror=alert(1)>', 'a"b</text><script>alert(2)</script>'];

async function chromium(args: readonly string[]): Promise<string> {
  const profile = mkdtempSync(join(dir, 'profile-'));
  const { stdout } = await promisify(execFile)(chromiumPath!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', `--user-data-dir=${profile}`, ...args], {
    timeout: 180_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function screenshot(file: string, width: number, height: number): Promise<Png> {
  const png = join(dir, `${file.split('/').pop()}.png`);
  await chromium([`--screenshot=${png}`, `--window-size=${width},${height}`, pathToFileURL(file).href]);
  return decodePng(readFileSync(png));
}

const svgSize = (svg: string) => svg.match(/<svg [^>]*width="(\d+)" height="(\d+)"/)!.slice(1).map(Number) as [number, number];

/** What the text map of --plan lists: addresses (with a use the picture draws as a mark), ranges, pod/service networks. */
function textMap(stdout: string) {
  const rows = stdout.split('\n');
  const pick = (re: RegExp) => [...new Set(rows.flatMap((row) => row.match(re)?.[1] ?? []))].sort();
  return {
    ips: pick(/^(\d+\.\d+\.\d+\.\d+)(?::\d+)?\s+(?:node|gateway|vip|reservation|loadbalancer|endpoint|listen|vrrp)\s/),
    ranges: pick(/^(\S+-\S+)\s+(?:dhcp|lb-pool)\s/),
    networks: pick(/^(\S+\/\d+)\s+(?:service|pod)\s/),
  };
}

/** Runs in Chromium after layout: each section's drawn elements, their boxes and computed colours. */
const PROBE = `
const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const fill = (e) => getComputedStyle(e).fill;
const stroke = (e) => getComputedStyle(e).stroke;
document.getElementById('probe').textContent = JSON.stringify([...document.querySelectorAll('section')].map((section) => ({
  name: section.dataset.name,
  svg: box(section.querySelector('svg')),
  lanes: [...section.querySelectorAll('g.lane')].map((lane) => ({
    cidr: lane.dataset.cidr ?? null,
    line: box(lane.querySelector('line.lane-line')),
    lineStroke: stroke(lane.querySelector('line.lane-line')),
    marks: [...lane.querySelectorAll('g.address')].map((g) => ({
      ip: g.dataset.ip, at: Number(g.dataset.at), conflict: g.classList.contains('conflict'),
      circle: box(g.querySelector('circle.mark')), circleFill: fill(g.querySelector('circle.mark')),
      label: box(g.querySelector('text.label')), labelFill: fill(g.querySelector('text.label')), text: g.querySelector('text.label').textContent,
    })),
    bands: [...lane.querySelectorAll('g.band')].map((g) => ({ range: g.dataset.range, from: Number(g.dataset.from), to: Number(g.dataset.to), conflict: g.classList.contains('conflict'), rect: box(g.querySelector('rect')), stroke: stroke(g.querySelector('rect')) })),
  })),
  networks: [...section.querySelectorAll('g.network')].map((g) => ({ cidr: g.dataset.cidr, conflict: g.classList.contains('conflict') })),
  problems: [...section.querySelectorAll('g.problem')].map((g) => ({ text: g.textContent, fill: fill(g.querySelector('tspan')) })),
  reds: [...section.querySelectorAll('svg *')].filter((e) => fill(e) === '${RED}' || stroke(e) === '${RED}').length,
})).concat([{ name: '#document', scripts: document.scripts.length, images: document.images.length, handlers: document.querySelectorAll('[onerror],[onload]').length }]));
`;

type Box = [number, number, number, number];
interface Probed {
  name: string;
  svg: Box;
  lanes: {
    cidr: string | null;
    line: Box;
    lineStroke: string;
    marks: { ip: string; at: number; conflict: boolean; circle: Box; circleFill: string; label: Box; labelFill: string; text: string }[];
    bands: { range: string; from: number; to: number; conflict: boolean; rect: Box; stroke: string }[];
  }[];
  networks: { cidr: string; conflict: boolean }[];
  problems: { text: string; fill: string }[];
  reds: number;
}

const overlap = (a: Box, b: Box) => a[0] < b[2] - 0.5 && b[0] < a[2] - 0.5 && a[1] < b[3] - 0.5 && b[1] < a[3] - 0.5;
const v4 = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
/** The check's sentences, from the refusal on stderr. */
const refusals = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));

describe.skipIf(!chromiumPath)('the picture of the plan in headless Chromium', () => {
  let probed: Record<string, Probed>;
  let page: { scripts: number; images: number; handlers: number };

  beforeAll(async () => {
    for (const [name, file] of Object.entries(inventories)) drawn[name] = await draw(name, file);
    drawn.broken = await draw('broken', brokenHome());
    const hostile = join(dir, 'hostile.yaml');
    writeFileSync(hostile, `all:\n  vars:\n    lan: { subnet: 10.10.20.0/24, gateway: 10.10.20.1 }\n  hosts:\n${HOSTILE.map((h) => `    '${h}': { ansible_host: 10.10.20.11 }\n`).join('')}`);
    drawn.hostile = await draw('hostile', hostile);
    const sections = Object.entries(drawn).map(([name, d]) => `<section data-name="${name}">${readFileSync(d.svg, 'utf8')}</section>`);
    const probe = join(dir, 'probe.html');
    writeFileSync(probe, `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${sections.join('\n')}<pre id="probe"></pre><script>${PROBE}</script></body></html>`);
    const dom = await chromium(['--dump-dom', pathToFileURL(probe).href]);
    const json = dom.match(/<pre id="probe">([^<]*)<\/pre>/)![1].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const all = JSON.parse(json) as (Probed & { scripts: number; images: number; handlers: number })[];
    page = all.pop()!;
    probed = Object.fromEntries(all.map((p) => [p.name, p]));
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('draws every address, range and network the text map lists, for each example inventory', () => {
    for (const [name, d] of Object.entries(drawn)) {
      const map = textMap(d.stdout);
      const p = probed[name];
      expect({ name, ips: p.lanes.flatMap((l) => l.marks.map((m) => m.ip)).sort() }).toEqual({ name, ips: map.ips });
      expect({ name, ranges: p.lanes.flatMap((l) => l.bands.map((b) => b.range)).sort() }).toEqual({ name, ranges: map.ranges });
      expect({ name, networks: p.networks.map((n) => n.cidr).filter((c) => map.networks.includes(c)).sort() }).toEqual({ name, networks: map.networks });
    }
    expect(probed.home.lanes.flatMap((l) => l.marks)).toHaveLength(10);
    expect(probed['dmz-gateways'].lanes.map((l) => l.cidr)).toEqual(['10.10.0.0/24', '192.168.68.0/24']);
  });

  it('places the addresses along each line by address after layout, with labels that do not overlap and stay inside the picture', () => {
    for (const p of Object.values(probed)) {
      for (const lane of p.lanes) {
        const [left, , right] = lane.line;
        let previous = { n: -1, x: -Infinity };
        for (const mark of lane.marks) {
          const x = (mark.circle[0] + mark.circle[2]) / 2;
          expect(Math.abs(x - (left + mark.at * (right - left)))).toBeLessThan(1);
          expect(v4(mark.ip)).toBeGreaterThan(previous.n);
          expect(x).toBeGreaterThanOrEqual(previous.x);
          previous = { n: v4(mark.ip), x };
          expect(mark.label[0]).toBeGreaterThanOrEqual(p.svg[0]);
          expect(mark.label[2]).toBeLessThanOrEqual(p.svg[2]);
        }
        const labels = lane.marks.map((m) => m.label);
        for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) expect(overlap(labels[i], labels[j]), `${p.name}: labels of ${lane.marks[i].ip} and ${lane.marks[j].ip}`).toBe(false);
        for (const band of lane.bands) {
          expect(Math.abs(band.rect[0] - (left + band.from * (right - left)))).toBeLessThan(1.5);
          expect(Math.abs(band.rect[2] - (left + band.to * (right - left)))).toBeLessThan(1.5);
        }
      }
    }
  });

  it('a sound plan has nothing red; the broken one draws what is in conflict in red, with the sentences of the check', () => {
    for (const name of Object.keys(inventories)) {
      expect(drawn[name].code, name).toBe(0);
      expect({ name, reds: probed[name].reds, problems: probed[name].problems }).toEqual({ name, reds: 0, problems: [] });
    }
    const { broken } = probed;
    expect(drawn.broken.code).toBe(4);
    const marks = broken.lanes.flatMap((l) => l.marks);
    expect(marks.filter((m) => m.conflict).map((m) => m.ip)).toEqual(['192.168.50.150']);
    for (const m of marks) expect([m.ip, m.circleFill === RED, m.labelFill === RED]).toEqual([m.ip, m.conflict, m.conflict]);
    const bands = broken.lanes.flatMap((l) => l.bands);
    expect(bands.map((b) => [b.range, b.conflict, b.stroke === RED])).toEqual([
      ['192.168.50.100-192.168.50.199', true, true],
      ['192.168.50.190-192.168.50.230', true, true],
    ]);
    const sentences = refusals(drawn.broken.stderr);
    expect(sentences).toHaveLength(2);
    expect(broken.problems.map((p) => p.text.replace(/\s+/g, ' '))).toEqual(sentences.map((s, i) => `${i + 1}. ${s}`));
    expect(broken.problems.every((p) => p.fill === RED)).toBe(true);
    expect(marks.find((m) => m.conflict)!.text).toMatch(/^192\.168\.50\.150 {2}w3 {2}! 1$/);
  });

  it('hostile host names stay text in the browser: no element, script or handler comes from them', () => {
    expect(page).toMatchObject({ scripts: 1, images: 0, handlers: 0 });
    const mark = probed.hostile.lanes[0].marks.find((m) => m.ip === '10.10.20.11')!;
    expect(mark.text).toBe(`10.10.20.11  ${HOSTILE.join(' · ')}  ! 1`);
    expect(mark.circleFill).toBe(RED);
    expect(probed.hostile.problems[0].text).toContain(`node of ${HOSTILE[0]} (inventory: ${HOSTILE[0]})`);
  });

  it('screenshots: the broken plan is drawn with red where its conflict is, the sound one without red', async () => {
    const [width, height] = svgSize(readFileSync(drawn.broken.svg, 'utf8'));
    const svg = await screenshot(drawn.broken.svg, width, height);
    const inkShare = countPixels(svg, isInk) / (svg.width * svg.height);
    expect(inkShare).toBeGreaterThan(0.02);
    const circles = [...readFileSync(drawn.broken.svg, 'utf8').matchAll(/<g class="address( conflict)?" data-ip="([^"]+)"[^>]*>[\s\S]*?<circle [^>]*cx="([\d.]+)" cy="([\d.]+)"/g)];
    expect(circles.length).toBe(10);
    for (const [, conflict, ip, cx, cy] of circles) {
      const around = countPixels(svg, isRed, [Number(cx) - 3, Number(cy) - 3, Number(cx) + 4, Number(cy) + 4]);
      if (conflict) expect(around, ip).toBeGreaterThan(20);
      else expect(pixel(svg, Number(cx), Number(cy)), ip).not.toSatisfy(isRed);
    }
    expect(countPixels(svg, isRed)).toBeGreaterThan(2000);

    const page = await screenshot(drawn.broken.html, width + 40, height + 200);
    expect(countPixels(page, isRed)).toBeGreaterThan(2000);
    const sound = await screenshot(drawn.home.html, width + 40, height + 200);
    expect(countPixels(sound, isInk) / (sound.width * sound.height)).toBeGreaterThan(0.02);
    expect(countPixels(sound, isRed)).toBe(0);
  }, 600_000);
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../../test/support/io.js';
import { main } from '../../cli/main.js';
import { parseCliOptions } from '../../cli/options.js';
import { PLAN_FLAGS } from '../../cli/plan-command.js';
import { checkPlan, planWarnings } from '../check.js';
import type { Claim } from '../claims.js';
import { planHtml } from './html.js';
import { pictureOf } from './model.js';
import { involving } from './problems.js';
import { planSvg } from './svg.js';

/** A plan using every kind of claim the picture draws, on one LAN (10.0.0.0/24), with a pod and a service network. */
const claims: Claim[] = [
  { kind: 'network', by: 'inventory: lan', cidr: '10.0.0.0/24', purpose: 'lan', what: 'LAN lab' },
  { kind: 'network', by: 'inventory: cluster k', cidr: '10.244.0.0/16', purpose: 'pod', what: 'pod network (k)' },
  { kind: 'network', by: 'inventory: cluster k', cidr: '10.96.0.0/12', purpose: 'service', what: 'service network (k)' },
  { kind: 'within', by: 'calico', cidr: '10.244.128.0/17', what: 'Calico pool p', outer: '10.244.0.0/16', outerWhat: 'pod network (k)' },
  { kind: 'address', by: 'inventory: lan.gateway', ip: '10.0.0.1', purpose: 'gateway', what: 'LAN gateway', subnet: '10.0.0.0/24' },
  { kind: 'address', by: 'inventory: n2', ip: '10.0.0.20', purpose: 'node', what: 'n2', host: 'n2', mac: 'aa:bb:cc:dd:ee:02' },
  { kind: 'address', by: 'inventory: n1', ip: '10.0.0.10', purpose: 'node', what: 'n1', host: 'n1', mac: 'aa:bb:cc:dd:ee:01' },
  { kind: 'address', by: 'dnsmasq on n1', ip: '10.0.0.10', purpose: 'reservation', what: 'n1', host: 'n1', mac: 'aa:bb:cc:dd:ee:01' },
  { kind: 'address', by: 'keepalived on n1', ip: '10.0.0.5', purpose: 'vip', what: 'keepalived VIP' },
  { kind: 'address', by: 'keepalived on n2', ip: '10.0.0.5', purpose: 'vip', what: 'keepalived VIP' },
  { kind: 'address', by: 'haproxy on n1', ip: '10.0.0.10', purpose: 'loadbalancer', what: 'haproxy on n1', host: 'n1', port: 6443 },
  { kind: 'vrrp', by: 'keepalived on n1', segment: '10.0.0.0/24', routerId: 5, vip: '10.0.0.5' },
  { kind: 'endpoint', by: 'inventory: cluster.control_plane_endpoint', endpoint: '10.0.0.5:6443' },
  { kind: 'listen', by: 'inventory: control plane', host: 'n2', port: 6443, at: ['10.0.0.20'], what: 'kube-apiserver on n2', api: 'server' },
  { kind: 'range', by: 'dnsmasq on n1', range: '10.0.0.100-10.0.0.199', purpose: 'dhcp', what: 'dynamic DHCP range', subnet: '10.0.0.0/24' },
  { kind: 'range', by: 'metallb', range: '10.0.0.200-10.0.0.230', purpose: 'loadbalancer', what: 'MetalLB pool lan' },
  { kind: 'mtu', by: 'networking on n1', network: '10.0.0.0/24', mtu: 1500, host: 'n1' },
  { kind: 'segment', by: 'inventory: n1', host: 'n1', cidr: '10.0.0.0/24' },
  { kind: 'segment', by: 'networking on n1', host: 'n1', cidr: '10.0.50.0/24', link: 'eth0.50' },
  { kind: 'route', by: 'static-routes on n1', host: 'n1', to: '10.20.0.0/16', via: '10.0.0.1' },
];

/** The same plan with a node inside the DHCP range and a VIP inside the MetalLB pool. */
const broken: Claim[] = [
  ...claims,
  { kind: 'address', by: 'inventory: n3', ip: '10.0.0.150', purpose: 'node', what: 'n3', host: 'n3' },
  { kind: 'address', by: 'keepalived on n9', ip: '10.0.0.210', purpose: 'vip', what: 'stray VIP' },
];

const pictureOfPlan = (plan: readonly Claim[]) => pictureOf(plan, checkPlan(plan), planWarnings(plan));

/** The opening tags of `markup`, with their attributes as written. */
function tags(markup: string): { name: string; attrs: Record<string, string> }[] {
  return [...markup.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"]*")*)\s*\/?>/g)].map(([, name, attrs]) => ({
    name,
    attrs: Object.fromEntries([...attrs.matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, k, v]) => [k, v])),
  }));
}

const classes = (t: { attrs: Record<string, string> }) => (t.attrs.class ?? '').split(' ');

describe('the picture of the plan (model)', () => {
  it('puts each claim on the LAN line at its address, in address order', () => {
    const picture = pictureOfPlan(claims);
    expect(picture.lanes.map((l) => [l.cidr, l.attached])).toEqual([
      ['10.0.0.0/24', []],
      ['10.0.50.0/24', ['n1 on eth0.50']],
    ]);
    const [lan] = picture.lanes;
    expect(lan.marks.map((m) => m.ip)).toEqual(['10.0.0.1', '10.0.0.5', '10.0.0.10', '10.0.0.20']);
    for (const mark of lan.marks) expect(mark.at).toBeCloseTo((Number(mark.ip.split('.')[3]) + 0.5) / 256, 6);
    const uses = (ip: string) => lan.marks.find((m) => m.ip === ip)!.uses.map((u) => u.purpose).sort();
    expect(uses('10.0.0.1')).toEqual(['gateway', 'route']);
    expect(uses('10.0.0.5')).toEqual(['endpoint', 'vip', 'vrrp']);
    expect(uses('10.0.0.10')).toEqual(['loadbalancer', 'node', 'reservation']);
    expect(uses('10.0.0.20')).toEqual(['listen', 'node']);
    expect(lan.marks.find((m) => m.ip === '10.0.0.5')!.uses.find((u) => u.purpose === 'vip')!.by).toEqual(['keepalived on n1', 'keepalived on n2']);
    expect(lan.bands.map((b) => [b.purpose, b.from, b.to])).toEqual([
      ['dhcp', 100 / 256, 200 / 256],
      ['loadbalancer', 200 / 256, 231 / 256],
    ]);
    expect(lan.mtus).toEqual(['1500 on n1']);
    expect(picture.networks.map((n) => [n.purpose, n.cidr])).toEqual([
      ['service', '10.96.0.0/12'],
      ['pod', '10.244.0.0/16'],
    ]);
    expect(picture.networks[1].pools.map((p) => [p.cidr, p.from, p.to])).toEqual([['10.244.128.0/17', 0.5, 1]]);
    expect(picture.problems).toEqual([]);
  });

  it('draws what lies outside every LAN on a line of its own', () => {
    const picture = pictureOfPlan([...claims, { kind: 'address', by: 'x', ip: '172.16.3.7', purpose: 'vip', what: 'far VIP' }]);
    expect(picture.lanes.map((l) => l.what)).toEqual(['LAN lab', 'network hosts are attached to', 'outside every LAN']);
    expect(picture.lanes[2].marks.map((m) => [m.ip, m.at])).toEqual([['172.16.3.7', 7.5 / 256]]);
  });

  it('marks what each sentence of the check speaks of, and only that', () => {
    const picture = pictureOfPlan(broken);
    expect(picture.problems.length).toBeGreaterThanOrEqual(2);
    const [lan] = picture.lanes;
    const n3 = lan.marks.find((m) => m.ip === '10.0.0.150')!;
    const stray = lan.marks.find((m) => m.ip === '10.0.0.210')!;
    expect(n3.problems.map((i) => picture.problems[i]).join('\n')).toContain('node 10.0.0.150 of n3 (inventory: n3) is inside the dynamic DHCP range');
    expect(stray.problems.map((i) => picture.problems[i]).join('\n')).toContain('contains vip 10.0.0.210 of stray VIP');
    for (const mark of lan.marks.filter((m) => m !== n3 && m !== stray)) expect(mark.problems).toEqual([]);
    expect(lan.bands.every((b) => b.problems.length > 0)).toBe(true);
    expect(lan.problems).toEqual([]);
  });

  it('takes an address as a whole word: 10.0.0.1 is not 10.0.0.10, nor a range or network starting there', () => {
    const sentences = ['a 10.0.0.10 b', 'in 10.0.0.1-10.0.0.9', 'net 10.0.0.1/32', 'end 10.0.0.1.', 'port 10.0.0.1:6443', 'mac AA:BB:CC:DD:EE:01 twice'];
    expect(involving(sentences, ['10.0.0.1'])).toEqual([3, 4]);
    expect(involving(sentences, ['10.0.0.1-10.0.0.9'])).toEqual([1]);
    expect(involving(sentences, ['aa:bb:cc:dd:ee:01'])).toEqual([5]);
  });
});

describe('the picture of the plan (SVG and HTML)', () => {
  it('draws an element for each kind of claim, placed along the line in address order', () => {
    const svg = planSvg(pictureOfPlan(claims));
    const all = tags(svg);
    const marks = all.filter((t) => t.name === 'g' && classes(t).includes('address'));
    expect(marks.map((m) => m.attrs['data-ip'])).toEqual(['10.0.0.1', '10.0.0.5', '10.0.0.10', '10.0.0.20']);
    const circles = all.filter((t) => t.name === 'circle' && classes(t).includes('mark')).map((t) => Number(t.attrs.cx));
    expect(circles).toEqual([...circles].sort((a, b) => a - b));
    expect(new Set(circles).size).toBe(4);
    const drawn = new Set(all.filter((t) => t.name === 'rect' && t.attrs['data-purpose']).map((t) => t.attrs['data-purpose']));
    expect([...drawn].sort()).toEqual(['endpoint', 'gateway', 'listen', 'loadbalancer', 'node', 'reservation', 'route', 'vip', 'vrrp']);
    expect(svg).toContain('gateway of route to 10.20.0.0/16');
    expect(svg).toContain('n1 on eth0.50');
    expect(all.filter((t) => t.name === 'g' && t.attrs['data-range']).map((t) => [classes(t)[1], t.attrs['data-range']])).toEqual([
      ['dhcp', '10.0.0.100-10.0.0.199'],
      ['loadbalancer', '10.0.0.200-10.0.0.230'],
    ]);
    expect(all.filter((t) => t.name === 'g' && classes(t).includes('network')).map((t) => t.attrs['data-cidr'])).toEqual(['10.96.0.0/12', '10.244.0.0/16']);
    expect(all.filter((t) => t.name === 'g' && classes(t).includes('pool')).map((t) => t.attrs['data-cidr'])).toEqual(['10.244.128.0/17']);
    expect(svg).toContain('>10.0.0.20  n2 aa:bb:cc:dd:ee:02 · listeners :6443</text>');
    expect(svg).toContain('listen: :6443 kube-apiserver on n2 [inventory: control plane]');
    expect(svg).toContain('MTU 1500 on n1');
    expect(svg).toContain('address plan: no conflicts');
    expect(all.some((t) => classes(t).includes('conflict'))).toBe(false);
  });

  it('draws conflicts in red, numbered, with the sentence that explains them', () => {
    const picture = pictureOfPlan(broken);
    const svg = planSvg(picture);
    const all = tags(svg);
    const red = all.filter((t) => t.name === 'g' && classes(t).includes('conflict'));
    expect(red.filter((t) => classes(t).includes('address')).map((t) => t.attrs['data-ip'])).toEqual(['10.0.0.150', '10.0.0.210']);
    expect(red.filter((t) => classes(t).includes('band')).map((t) => t.attrs['data-range'])).toEqual(['10.0.0.100-10.0.0.199', '10.0.0.200-10.0.0.230']);
    for (const element of red) {
      const numbers = element.attrs['data-problems'].split(' ').map(Number);
      expect(numbers.every((n) => n >= 1 && n <= picture.problems.length)).toBe(true);
    }
    const sentences = all.filter((t) => t.name === 'g' && classes(t).includes('problem'));
    expect(sentences.map((t) => Number(t.attrs['data-n']))).toEqual(picture.problems.map((_, i) => i + 1));
    const flat = svg.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    picture.problems.forEach((sentence, i) => expect(flat).toContain(`${i + 1}. ${sentence}`.replace(/&/g, '&amp;').replace(/\s+/g, ' ')));
    expect(svg).toMatch(/\.plan \.mark\.conflict, \.plan \.use\.conflict \{ fill: #dc2626/);
  });

  it('shows the warnings of the plan in amber, numbered W1…', () => {
    const warned: Claim[] = [...claims, { kind: 'warning', by: 'metallb', text: 'MetalLB pool lan (10.0.0.200-10.0.0.230) is announced by BGP inside 10.0.0.0/24' }];
    const picture = pictureOfPlan(warned);
    const all = tags(planSvg(picture));
    expect(all.filter((t) => classes(t).includes('warned') && t.name === 'g').map((t) => t.attrs['data-cidr'] ?? t.attrs['data-range'])).toEqual(['10.0.0.0/24', '10.0.0.200-10.0.0.230']);
    expect(planSvg(picture)).toContain('W1. MetalLB pool lan');
  });

  it('escapes every inventory-provided string: hostile names draw as text, never as markup', () => {
    const evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>&amp;\'</text>';
    const hostile: Claim[] = [
      { kind: 'network', by: `inventory: ${evil}`, cidr: '10.0.0.0/24', purpose: 'lan', what: `LAN ${evil}` },
      { kind: 'address', by: `inventory: ${evil}`, ip: '10.0.0.7', purpose: 'node', what: evil, host: evil, mac: 'aa:bb:cc:dd:ee:07' },
      { kind: 'address', by: `inventory: x${evil}`, ip: '10.0.0.7', purpose: 'node', what: `x${evil}`, host: `x${evil}` },
      { kind: 'range', by: evil, range: '10.0.0.100-10.0.0.199', purpose: 'dhcp', what: evil },
      { kind: 'network', by: evil, cidr: '10.244.0.0/16', purpose: 'pod', what: evil },
      { kind: 'within', by: evil, cidr: '10.244.0.0/17', what: evil, outer: '10.244.0.0/16', outerWhat: evil },
      { kind: 'warning', by: evil, text: evil },
    ];
    const picture = pictureOfPlan(hostile);
    expect(picture.problems.length).toBe(1);
    for (const markup of [planSvg(picture), planHtml(picture, evil)]) {
      const names = new Set(tags(markup).map((t) => t.name));
      expect([...names].filter((n) => !['svg', 'style', 'rect', 'g', 'text', 'tspan', 'title', 'line', 'circle', 'path', 'html', 'head', 'meta', 'body', 'h1', 'p', 'details', 'summary', 'pre'].includes(n))).toEqual([]);
      expect(markup).not.toMatch(/<script|<img/i);
      expect(markup).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;&#39;&lt;/text&gt;');
      // every < opens or closes a known element: nothing of the names became markup
      expect(markup.match(/</g)!.length).toBe(markup.match(/<\/?[a-zA-Z!][^<>]*>/g)!.length);
    }
  });

  it('the HTML page is self-contained: no script, no fetched resource, a policy that forbids fetching', () => {
    const html = planHtml(pictureOfPlan(broken), 'ADDRESS MAP');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|url\(|@import|@font-face/i);
    expect(html.match(/https?:\/\/[^"'\s<]*/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).toContain('<pre>ADDRESS MAP</pre>');
  });
});

describe('--html and --svg on the command line', () => {
  it('are flags of the playbook CLI and of labwright plan (shell completion reads the same tables)', () => {
    const opts = parseCliOptions(['-i', 'x.yaml', '--plan', '--html', 'p.html', '--svg', 'p.svg']);
    expect([opts.html, opts.svg]).toEqual(['p.html', 'p.svg']);
    expect(PLAN_FLAGS.html).toEqual({ type: 'string' });
    expect(PLAN_FLAGS.svg).toEqual({ type: 'string' });
  });

  it('writes the picture of a refused plan too, with its conflicts, and escapes hostile host names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-picture-'));
    const inventory = join(dir, 'inventory.yaml');
    const hostile = 'a"b</text><script>alert(2)</script>';
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      inventory,
      `all:\n  vars:\n    lan: { subnet: 10.10.20.0/24, gateway: 10.10.20.1 }\n  hosts:\n    '<img/src=x/onerror=alert(1)>': { ansible_host: 10.10.20.11 }\n    '${hostile}': { ansible_host: 10.10.20.11 }\n`,
    );
    const io = captureIo();
    const code = await main([], ['-i', inventory, '--plan', '--html', join(dir, 'p.html'), '--svg', join(dir, 'p.svg')], io);
    expect(code).toBe(4);
    expect(io.stderr).toContain(`picture of the address plan: ${join(dir, 'p.html')}`);
    const svg = readFileSync(join(dir, 'p.svg'), 'utf8');
    expect(readFileSync(join(dir, 'p.html'), 'utf8')).toContain(svg.trim());
    expect(svg).not.toMatch(/<script|<img/);
    const mark = tags(svg).find((t) => t.name === 'g' && t.attrs['data-ip'] === '10.10.20.11')!;
    expect(classes(mark)).toContain('conflict');
    expect(svg).toContain('1. 10.10.20.11 is claimed 2 times: node of &lt;img/src=x/onerror=alert(1)&gt;');
  });

  it('tells which file it cannot write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-picture-'));
    const inventory = join(dir, 'inventory.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(inventory, 'all:\n  vars:\n    lan: { subnet: 10.10.20.0/24 }\n  hosts:\n    a: { ansible_host: 10.10.20.11 }\n');
    const io = captureIo();
    const missing = join(dir, 'no-such-dir', 'p.svg');
    expect(await main([], ['-i', inventory, '--plan', '--svg', missing], io)).toBe(1);
    expect(io.stderr).toContain(`--svg ${missing}: cannot write the picture of the plan: ENOENT`);
  });
});

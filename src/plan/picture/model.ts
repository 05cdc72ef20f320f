import { isCidr, isIp, parseCidr, parseIp, parseV4Range, v4Bounds, v4ToNumber } from '../../net/address.js';
import type { Claim } from '../claims.js';
import { involving } from './problems.js';

/** What an address is used for, as the picture colours it. */
export type UsePurpose = Extract<Claim, { kind: 'address' }>['purpose'] | 'endpoint' | 'listen' | 'vrrp' | 'route';

/** The sentences of the check an element is involved in (indexes into Picture.problems and Picture.warnings). */
export interface Involvement {
  problems: number[];
  warnings: number[];
}

/** One use of an address (a claim, or one address of a listener), with everyone who claims it. */
export interface Use extends Involvement {
  purpose: UsePurpose;
  text: string;
  by: string[];
  /** A listener's port. */
  port?: number;
}

/** An address on a line: where it sits (0..1 of the line) and everything using it. */
export interface Mark extends Involvement {
  ip: string;
  at: number;
  uses: Use[];
}

/** A range on a line (a DHCP range, a load balancer pool): from..to as 0..1 of the line. */
export interface Band extends Involvement {
  range: string;
  purpose: 'dhcp' | 'loadbalancer';
  what: string;
  by: string[];
  from: number;
  to: number;
}

/** A segment drawn as an address line: a LAN, a network hosts are attached to, or the addresses outside every one. */
export interface Lane extends Involvement {
  /** The network's CIDR (undefined: the lane of addresses outside every network). */
  cidr?: string;
  /** The hosts attached to a network that is not the inventory's LAN ("monitor on br0.100"). */
  attached: string[];
  what: string;
  by: string[];
  first: number;
  last: number;
  marks: Mark[];
  bands: Band[];
  /** MTUs declared on the network ("1500 on node1"). */
  mtus: string[];
}

/** A network inside another one (a Calico pool in the pod network), placed on its outer network's bar. */
export interface Pool extends Involvement {
  cidr: string;
  what: string;
  by: string[];
  from: number;
  to: number;
}

/** A pod, service or other network drawn beside the lines, with the pools inside it. */
export interface SideNetwork extends Involvement {
  cidr: string;
  purpose: string;
  what: string;
  by: string[];
  pools: Pool[];
  mtus: string[];
}

/** Everything the picture draws, made from the plan's claims and the check's sentences (nothing else is computed). */
export interface Picture {
  lanes: Lane[];
  networks: SideNetwork[];
  problems: readonly string[];
  warnings: readonly string[];
}

const isV4 = (ip: string) => isIp(ip) && parseIp(ip).kind() === 'ipv4';
const isV4Cidr = (cidr: string) => isCidr(cidr) && parseCidr(cidr).address.kind() === 'ipv4';
const union = (a: readonly string[], b: string) => (a.includes(b) ? [...a] : [...a, b]);

/** The sentences speaking of any of `keys`. */
function involvement(picture: Pick<Picture, 'problems' | 'warnings'>, keys: readonly string[]): Involvement {
  return { problems: involving(picture.problems, keys), warnings: involving(picture.warnings, keys) };
}

const mergeInvolvement = (parts: readonly Involvement[]): Involvement => ({
  problems: [...new Set(parts.flatMap((p) => p.problems))].sort((a, b) => a - b),
  warnings: [...new Set(parts.flatMap((p) => p.warnings))].sort((a, b) => a - b),
});

interface PlacedUse {
  ip: string;
  n: number;
  purpose: UsePurpose;
  text: string;
  by: string;
  keys: string[];
  port?: number;
}

/** Each claim on an address, as one use per address (a listener on three addresses is three uses). */
function usesOf(claims: readonly Claim[]): PlacedUse[] {
  const out: PlacedUse[] = [];
  const add = (ip: string, use: Omit<PlacedUse, 'ip' | 'n'>) => {
    if (isV4(ip)) out.push({ ip: parseIp(ip).toString(), n: v4ToNumber(ip), ...use });
  };
  for (const c of claims) {
    if (c.kind === 'address') {
      const text = `${c.what}${c.port ? ` :${c.port}` : ''}${c.mac ? ` ${c.mac}` : ''}`;
      add(c.ip, { purpose: c.purpose, text, by: c.by, keys: [c.ip, ...(c.mac ? [c.mac] : [])] });
    } else if (c.kind === 'vrrp') {
      add(c.vip, { purpose: 'vrrp', text: `VRRP id ${c.routerId} on ${c.segment}`, by: c.by, keys: [c.vip] });
    } else if (c.kind === 'endpoint') {
      const host = c.endpoint.replace(/:\d+$/, '');
      add(host, { purpose: 'endpoint', text: `control plane endpoint${c.endpoint === host ? '' : ` :${c.endpoint.slice(host.length + 1)}`}`, by: c.by, keys: [c.endpoint, host] });
    } else if (c.kind === 'route') {
      add(c.via, { purpose: 'route', text: `gateway of route to ${c.to}`, by: c.by, keys: [c.via, c.to] });
    } else if (c.kind === 'listen') {
      for (const ip of c.at) add(ip, { purpose: 'listen', text: `:${c.port} ${c.what}`, by: c.by, keys: [c.what], port: c.port });
    }
  }
  return out;
}

/** The LANs (one per network, whoever declares it), then the other networks hosts are attached to, in address order. */
function lanLanes(claims: readonly Claim[], picture: Pick<Picture, 'problems' | 'warnings'>): Lane[] {
  const lanes = new Map<string, Lane>();
  const lane = (cidr: string, what: string) => {
    const key = parseCidr(cidr).text;
    const { first, last } = v4Bounds(cidr);
    if (!lanes.has(key)) lanes.set(key, { cidr, what, by: [], attached: [], first, last, marks: [], bands: [], mtus: [], ...involvement(picture, [cidr]) });
    return lanes.get(key)!;
  };
  for (const c of claims) {
    if (c.kind !== 'network' || c.purpose !== 'lan' || !isV4Cidr(c.cidr)) continue;
    const lan = lane(c.cidr, c.what);
    lan.by = union(lan.by, c.by);
  }
  for (const c of claims) {
    if (c.kind !== 'segment' || !isV4Cidr(c.cidr)) continue;
    if (lanes.get(parseCidr(c.cidr).text)?.by.length) continue; // a LAN: its hosts are its marks
    const segment = lane(c.cidr, 'network hosts are attached to');
    segment.attached = union(segment.attached, `${c.host}${c.link ? ` on ${c.link}` : ''}`);
  }
  return [...lanes.values()].sort((a, b) => a.first - b.first || b.last - a.last);
}

/** The lane an address (or a range's first address) lies on: the smallest one containing it. */
function laneOf(lanes: readonly Lane[], n: number): Lane | undefined {
  return lanes.filter((l) => l.first <= n && n <= l.last).sort((a, b) => a.last - a.first - (b.last - b.first))[0];
}

/** The lane of what lies outside every LAN: the /24 blocks its addresses fall in. */
function outsideLane(numbers: readonly number[], picture: Pick<Picture, 'problems' | 'warnings'>): Lane {
  const first = Math.min(...numbers);
  const last = Math.max(...numbers);
  return { what: 'outside every LAN', by: [], attached: [], first: first - (first % 256), last: last - (last % 256) + 255, marks: [], bands: [], mtus: [], ...involvement(picture, []) };
}

const position = (lane: Lane, n: number) => (n - lane.first) / (lane.last - lane.first + 1);

function placeMarks(lanes: Lane[], uses: readonly PlacedUse[], picture: Pick<Picture, 'problems' | 'warnings'>) {
  const byIp = new Map<string, PlacedUse[]>();
  for (const u of uses) byIp.set(u.ip, [...(byIp.get(u.ip) ?? []), u]);
  for (const [ip, placed] of byIp) {
    const n = placed[0].n;
    const lane = laneOf(lanes, n)!;
    const merged = new Map<string, Use>();
    for (const u of placed) {
      const key = `${u.purpose} ${u.text}`;
      const use = merged.get(key);
      const found = involvement(picture, u.keys);
      if (use) {
        use.by = union(use.by, u.by);
        Object.assign(use, mergeInvolvement([use, found]));
      } else merged.set(key, { purpose: u.purpose, text: u.text, by: [u.by], ...(u.port ? { port: u.port } : {}), ...found });
    }
    const all = [...merged.values()];
    lane.marks.push({ ip, at: (n - lane.first + 0.5) / (lane.last - lane.first + 1), uses: all, ...mergeInvolvement(all) });
  }
  for (const lane of lanes) lane.marks.sort((a, b) => byIp.get(a.ip)![0].n - byIp.get(b.ip)![0].n);
}

function placeBands(lanes: Lane[], claims: readonly Claim[], picture: Pick<Picture, 'problems' | 'warnings'>) {
  for (const c of claims) {
    if (c.kind !== 'range') continue;
    const { first, last } = parseV4Range(c.range);
    const lane = laneOf(lanes, first)!;
    const band = lane.bands.find((b) => b.range === c.range && b.purpose === c.purpose && b.what === c.what);
    if (band) {
      band.by = union(band.by, c.by);
      continue;
    }
    const from = Math.max(0, position(lane, first));
    const to = Math.min(1, position(lane, last + 1));
    lane.bands.push({ range: c.range, purpose: c.purpose, what: c.what, by: [c.by], from, to, ...involvement(picture, [c.range]) });
  }
  for (const lane of lanes) lane.bands.sort((a, b) => a.from - b.from || b.to - a.to);
}

function sideNetworks(claims: readonly Claim[], picture: Pick<Picture, 'problems' | 'warnings'>): SideNetwork[] {
  const nets = new Map<string, SideNetwork>();
  for (const c of claims) {
    if (c.kind !== 'network' || c.purpose === 'lan') continue;
    const key = `${c.cidr} ${c.purpose}`;
    const net = nets.get(key);
    if (net) net.by = union(net.by, c.by);
    else nets.set(key, { cidr: c.cidr, purpose: c.purpose, what: c.what, by: [c.by], pools: [], mtus: [], ...involvement(picture, [c.cidr]) });
  }
  for (const c of claims) {
    if (c.kind !== 'within') continue;
    let outer = [...nets.values()].find((n) => n.cidr === c.outer);
    if (!outer) {
      outer = { cidr: c.outer, purpose: 'other', what: c.outerWhat, by: [], pools: [], mtus: [], ...involvement(picture, [c.outer]) };
      nets.set(`${c.outer} other`, outer);
    }
    const pool = outer.pools.find((p) => p.cidr === c.cidr && p.what === c.what);
    if (pool) {
      pool.by = union(pool.by, c.by);
      continue;
    }
    let [from, to] = [0, 1];
    if (isV4Cidr(c.cidr) && isV4Cidr(c.outer)) {
      const o = v4Bounds(c.outer);
      const p = v4Bounds(c.cidr);
      const size = o.last - o.first + 1;
      [from, to] = [Math.min(1, Math.max(0, (p.first - o.first) / size)), Math.min(1, Math.max(0, (p.last + 1 - o.first) / size))];
    }
    outer.pools.push({ cidr: c.cidr, what: c.what, by: [c.by], from, to, ...involvement(picture, [c.cidr]) });
  }
  const order = (cidr: string) => (isV4Cidr(cidr) ? v4Bounds(cidr).first : Number.MAX_SAFE_INTEGER);
  return [...nets.values()].sort((a, b) => order(a.cidr) - order(b.cidr));
}

/** MTU claims as notes of the lane or network they are declared on. */
function placeMtus(lanes: readonly Lane[], networks: readonly SideNetwork[], claims: readonly Claim[]) {
  for (const c of claims) {
    if (c.kind !== 'mtu') continue;
    const note = `${c.mtu} on ${c.host}`;
    const key = isV4Cidr(c.network) ? parseCidr(c.network).text : c.network;
    const on = lanes.find((l) => l.cidr !== undefined && parseCidr(l.cidr).text === key) ?? networks.find((n) => n.cidr === c.network);
    if (on && !on.mtus.includes(note)) on.mtus.push(note);
  }
}

/**
 * The picture of a plan: each LAN as an address line with what is claimed on
 * it placed by address, the addresses outside every LAN on a line of their
 * own, the pod/service networks beside, and for each element the problems and
 * warnings (the sentences of the check) that speak of it.
 */
export function pictureOf(claims: readonly Claim[], problems: readonly string[], warnings: readonly string[]): Picture {
  const sentences = { problems, warnings };
  const lanes = lanLanes(claims, sentences);
  const uses = usesOf(claims);
  const ranges = claims.flatMap((c) => (c.kind === 'range' ? [parseV4Range(c.range).first] : []));
  const stray = [...uses.map((u) => u.n), ...ranges].filter((n) => laneOf(lanes, n) === undefined);
  const extra = stray.length > 0 ? outsideLane(stray, sentences) : undefined;
  const all = extra ? [...lanes, extra] : lanes;
  placeMarks(all, uses, sentences);
  placeBands(all, claims, sentences);
  const networks = sideNetworks(claims, sentences);
  placeMtus(lanes, networks, claims);
  return { lanes: all, networks, problems, warnings };
}

import { isIp, parseIp, parseV4Range, v4ToNumber } from '../net/address.js';
import type { Claim } from './claims.js';

const order = (ip: string) => (isIp(ip) && parseIp(ip).kind() === 'ipv4' ? v4ToNumber(ip) : Number.MAX_SAFE_INTEGER);

/** The address map: networks, ranges and addresses in address order, with who claims them (one row per use). */
export function formatAddressMap(claims: readonly Claim[]): string {
  const rows: [number, string, string][] = [];
  for (const c of claims) {
    switch (c.kind) {
      case 'network':
        rows.push([order(c.cidr.split('/')[0]), `${c.cidr.padEnd(33)} ${c.purpose.padEnd(12)} ${c.what}`, c.by]);
        break;
      case 'within':
        rows.push([order(c.cidr.split('/')[0]), `${c.cidr.padEnd(33)} ${'pool'.padEnd(12)} ${c.what} (in ${c.outer})`, c.by]);
        break;
      case 'range':
        rows.push([parseV4Range(c.range).first, `${c.range.padEnd(33)} ${(c.purpose === 'dhcp' ? 'dhcp' : 'lb-pool').padEnd(12)} ${c.what}`, c.by]);
        break;
      case 'address':
        rows.push([order(c.ip), `${(c.port ? `${c.ip}:${c.port}` : c.ip).padEnd(33)} ${c.purpose.padEnd(12)} ${c.what}${c.mac ? ` ${c.mac}` : ''}`, c.by]);
        break;
      case 'vrrp':
        rows.push([order(c.vip), `${c.vip.padEnd(33)} ${'vrrp'.padEnd(12)} virtual_router_id ${c.routerId} on ${c.segment}`, c.by]);
        break;
      case 'mtu':
        rows.push([order(c.network.split('/')[0]), `${c.network.padEnd(33)} ${'mtu'.padEnd(12)} ${c.mtu} on ${c.host}`, c.by]);
        break;
      case 'listen':
        for (const ip of c.at) rows.push([order(ip), `${`${ip}:${c.port}`.padEnd(33)} ${'listen'.padEnd(12)} ${c.what}`, c.by]);
        break;
      case 'route':
        rows.push([order(c.to.split('/')[0]), `${c.to.padEnd(33)} ${'route'.padEnd(12)} via ${c.via} on ${c.host}`, c.by]);
        break;
      case 'warning':
      case 'segment':
        break;
      case 'endpoint':
        rows.push([order(c.endpoint.replace(/:\d+$/, '')), `${c.endpoint.padEnd(33)} ${'endpoint'.padEnd(12)} control plane endpoint`, c.by]);
        break;
    }
  }
  const merged = new Map<string, { order: number; by: string[] }>();
  for (const [order, text, by] of rows) {
    const row = merged.get(text) ?? { order, by: [] };
    if (!row.by.includes(by)) row.by.push(by);
    merged.set(text, row);
  }
  const lines = [...merged].sort((a, b) => a[1].order - b[1].order).map(([text, { by }]) => `${text}  [${by.join(', ')}]`);
  return ['ADDRESS MAP ' + '*'.repeat(60), `${'address / network'.padEnd(33)} ${'use'.padEnd(12)} what  [claimed by]`, ...lines].join('\n');
}

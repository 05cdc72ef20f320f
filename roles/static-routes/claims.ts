import { isCidr, parseCidr } from '../../src/net/address.js';
import type { Claim } from '../../src/plan/claims.js';
import type { StaticRoutesVars } from './vars.js';

/** The routes through a gateway (not on-link ones: those name their link) and the networks of the host's configured links. */
export function routeClaims(vars: StaticRoutesVars, host: string): Claim[] {
  const by = `static-routes on ${host}`;
  const routes = vars.routes.filter((r) => r.state === 'present' && r.via !== undefined && !r.onlink);
  return [
    ...routes.flatMap((r) => r.to.map((to): Claim => ({ kind: 'route', by, host, to, via: r.via! }))),
    ...Object.entries(vars.links).flatMap(([link, l]) =>
      l.addresses.filter(isCidr).map((a): Claim => ({ kind: 'segment', by, host, cidr: parseCidr(a).text, link })),
    ),
  ];
}

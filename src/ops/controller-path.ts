import ipaddr from 'ipaddr.js';
import { defineFact } from '../facts/fact.js';
import { contains, isIp } from '../net/address.js';
import { destinationFamily } from '../net/ip-route.js';
import { sh } from '../shell/quote.js';

/** How the host reaches the controller: the controller's address as the host sees it, and the route to it. */
export interface ControllerPath {
  address: string;
  via?: string;
  dev?: string;
}

/**
 * The controller's address from `$SSH_CONNECTION` of this session (through
 * sudo, which drops it from the environment, read from the nearest ancestor
 * process that has it) and `ip -j route get` for it (read-only, sends
 * nothing). Undefined without an SSH session (a local connection).
 */
export const controllerPath = defineFact('controller-path', () => ({
  command: sh`c=\${SSH_CONNECTION:-}; p=$$; while [ -z "$c" ] && [ "\${p:-1}" -gt 1 ]; do c=$(tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p'); p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null); done; set -- $c; if [ -n "\${1:-}" ]; then echo "$1"; ip -j route get "$1" 2>/dev/null; fi; true`,
  parse: ({ stdout }): ControllerPath | undefined => {
    const [first, json] = stdout.split('\n', 2);
    if (!first || !isIp(first.trim())) return undefined;
    let address = ipaddr.parse(first.trim());
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address();
    let route: { gateway?: string; dev?: string } | undefined;
    try {
      [route] = JSON.parse(json || '[]') as { gateway?: string; dev?: string }[];
    } catch {
      route = undefined;
    }
    return { address: address.toString(), via: route?.gateway, dev: route?.dev };
  },
}));

/**
 * Whether a change to the route to `to` (a canonical destination: CIDR,
 * "default" or "default6") can cut the host off from the controller: a
 * default route, or a route whose destination holds the controller's address
 * or the gateway the host reaches it through. With the controller unknown,
 * only default routes count.
 */
export function touchesControllerPath(to: string, path: ControllerPath | undefined): boolean {
  if (to === 'default' || to === 'default6') {
    if (!path) return true;
    return destinationFamily(to) === (path.address.includes(':') ? 6 : 4);
  }
  if (!path) return false;
  return [path.address, path.via].some((a) => a !== undefined && isIp(a) && contains(to, a));
}

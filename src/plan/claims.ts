/**
 * What a role (or the inventory itself) says it uses of the address space.
 * The plan check collects every claim of every host before any host is
 * touched, prints the address map and refuses conflicting plans.
 * `by` names who claims it ("dnsmasq on gw1", "inventory: cp1").
 */
export type Claim =
  | { kind: 'network'; by: string; cidr: string; purpose: 'lan' | 'pod' | 'service' | 'other'; what: string }
  /** A network that must lie inside another one (a Calico pool inside the pod subnet). */
  | { kind: 'within'; by: string; cidr: string; what: string; outer: string; outerWhat: string }
  /**
   * A dynamic range. A DHCP range names its `subnet`; `exclusive` says what
   * declares its server the subnet's only DHCP server (a second one there is refused).
   */
  | {
      kind: 'range';
      by: string;
      range: string;
      purpose: 'dhcp' | 'loadbalancer';
      what: string;
      subnet?: string;
      exclusive?: string;
      /** The DHCP server's host (undefined: a server labwright does not manage), and the host it declares its failover peer. */
      host?: string;
      peer?: string;
      /** A load balancer pool announced by ARP/NDP: it must lie on a network the nodes are attached to. */
      announce?: 'l2';
    }
  /** A host has an address on `cidr` (through `link`, when known). */
  | { kind: 'segment'; by: string; host: string; cidr: string; link?: string }
  /** A static route of `host` through the gateway `via`. */
  | { kind: 'route'; by: string; host: string; to: string; via: string }
  | {
      kind: 'address';
      by: string;
      ip: string;
      purpose: 'node' | 'vip' | 'reservation' | 'gateway' | 'loadbalancer';
      what: string;
      /** The host the address belongs to, when it is a host's own. */
      host?: string;
      mac?: string;
      /** The subnet the address must lie in (a gateway in its LAN). */
      subnet?: string;
      /** For load balancer front ends: the port. */
      port?: number;
    }
  | { kind: 'vrrp'; by: string; segment: string; routerId: number; vip: string }
  | { kind: 'mtu'; by: string; network: string; mtu: number; host: string }
  | { kind: 'endpoint'; by: string; endpoint: string }
  /**
   * A TCP listener on a host: `bind` is its bind address (undefined: every
   * address), `at` the addresses clients reach it at; `api` says whether it
   * serves the Kubernetes API as a front end (haproxy) or is kube-apiserver.
   * `note` explains the choice of port in a refusal.
   */
  | { kind: 'listen'; by: string; host: string; port: number; bind?: string; at: string[]; what: string; api?: 'frontend' | 'server'; note?: string }
  /** Something that works but is likely wrong: shown by --plan and before a run, not refused. */
  | { kind: 'warning'; by: string; text: string };

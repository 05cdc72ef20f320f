import { z } from 'zod';
import { isIpv4 } from '../../src/net/host-address.js';

/** A haproxy time value: a number with an optional unit (us, ms, s, m, h, d; bare = ms). */
const duration = z.string().regex(/^\d+(us|ms|s|m|h|d)?$/, 'expected a haproxy time such as 5s, 2000ms or 1h');
const port = z.number().int().min(1).max(65535);
const bindAddress = z.string().refine(isIpv4, 'expected an IPv4 address (leave unset to listen on every address)');
const serverName = z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected a server name of letters, digits, ".", "_" or "-"');
/** An IP address or DNS name (no spaces, no port). */
const serverAddress = z.string().regex(/^[A-Za-z0-9.:-]+$/, 'expected an IP address or a DNS name');

const apiServer = z.strictObject({
  name: serverName.describe('Server name shown in stats and logs.'),
  address: serverAddress.describe('Address of the kube-apiserver.'),
  port: port.optional().describe('Port (default: api.backend_port).'),
});

const ingressServer = z.strictObject({
  name: serverName.describe('Server name shown in stats and logs.'),
  address: serverAddress.describe('Address of the worker (its NodePorts are used).'),
});

export const api = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Load-balance the Kubernetes API.'),
    bind: bindAddress.optional().describe('Address to listen on (e.g. the VIP); unset = every address.'),
    port: port.default(6443).describe('Port to listen on (default: the port of `cluster.control_plane_endpoint` when that is set).'),
    group: z.string().min(1).default('control_plane').describe('Inventory group whose hosts are the backends, at their inventory address (default: `cluster.control_plane_group`).'),
    backend_port: port.default(6443).describe('Port of kube-apiserver on the backends.'),
    servers: z.array(apiServer).optional().describe('Explicit backends; default: every host of `group`, in inventory order.'),
    health_check: z
      .enum(['tcp', 'readyz'])
      .default('readyz')
      .describe('`readyz` (default): HTTPS `GET /readyz` expecting 200 (certificate not verified), so an apiserver that accepts connections but is not ready (etcd lost) gets no traffic; `tcp`: a connect check only (`option tcp-check`, seed 001).'),
  })
  .prefault({})
  .describe('The Kubernetes API front end (`frontend/backend k8s-api`).');

export const ingress = z
  .strictObject({
    enabled: z.boolean().default(false).describe('TLS passthrough of 443 (and plain 80) to the workers\' ingress NodePorts.'),
    bind: bindAddress.optional().describe('Address to listen on; unset = every address.'),
    group: z.string().min(1).default('workers').describe('Inventory group whose hosts are the ingress backends (default: `cluster.worker_group`).'),
    https_port: port.default(443).describe('TLS port to listen on.'),
    https_node_port: port.default(30443).describe('NodePort of the ingress controller\'s TLS listener on the workers.'),
    http_port: port.nullable().default(80).describe('Plain-HTTP port to listen on; null = none.'),
    http_node_port: port.default(30080).describe('NodePort of the plain-HTTP listener on the workers.'),
    inspect_delay: duration.default('5s').describe('How long to wait for the TLS ClientHello (`tcp-request inspect-delay`).'),
    servers: z.array(ingressServer).optional().describe('Explicit backends; default: every host of `group`.'),
  })
  .prefault({})
  .describe('TLS passthrough to the ingress NodePorts (seed 003: 443 → 30443, 80 → 30080).');

export const metrics = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve metrics/stats over HTTP.'),
    bind: bindAddress.optional().describe('Address to listen on; default: the host\'s management (inventory) address, not the VIP or every address.'),
    port: port.default(8405).describe('Port of the metrics/stats frontend.'),
    prometheus: z
      .union([z.literal('auto'), z.boolean()])
      .default('auto')
      .describe('`/metrics` Prometheus exporter; `auto` = when `haproxy -vv` says the build has it (a fact read on the host).'),
    stats_page: z.boolean().optional().describe('The `/stats` HTML page; default: on when there is no Prometheus exporter.'),
  })
  .prefault({})
  .describe('The HTTP frontend for metrics and stats.');

export const haproxyVars = z.strictObject({
  package: z.string().min(1).default('haproxy').describe('Debian package to install.'),
  config_path: z.string().startsWith('/').default('/etc/haproxy/haproxy.cfg').describe('Configuration file (the Debian unit reads this one).'),
  api,
  ingress,
  metrics,
  check: z
    .strictObject({
      inter: duration.default('2s').describe('Health check interval.'),
      fall: z.number().int().min(1).default(3).describe('Failed checks before a server is marked DOWN.'),
      rise: z.number().int().min(1).default(2).describe('Passed checks before a server is marked UP again.'),
    })
    .prefault({})
    .describe('Health checks of every backend server (`check inter … fall … rise …`).'),
  timeouts: z
    .strictObject({
      connect: duration.default('5s').describe('`timeout connect`.'),
      client: duration.default('1h').describe('`timeout client` (long: API watches, exec and logs -f are long-lived).'),
      server: duration.default('1h').describe('`timeout server`.'),
    })
    .prefault({})
    .describe('Timeouts in `defaults`.'),
  nonlocal_bind: z
    .boolean()
    .optional()
    .describe('Set `net.ipv4.ip_nonlocal_bind=1` (needed to bind a VIP the host does not hold); default: on when a `bind` address is not one of the host\'s inventory addresses.'),
  extra_config: z.string().optional().describe('Text appended verbatim to the configuration (validated with the rest).'),
});

export type HaproxyVars = z.output<typeof haproxyVars>;

import { z } from 'zod';
import { parseIpv4WithPrefix, isIpv4 } from '../../src/net/host-address.js';
import { Secret } from '../../src/secret.js';

/** keepalived reads a name up to the first space; keep names to one simple word. */
const word = z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected one word of letters, digits, ".", "_" or "-"');

const peer = z.strictObject({
  name: word.describe('Host name (matched against the inventory name of this host).'),
  address: z.string().refine(isIpv4, 'expected an IPv4 address').describe('Its address on the VRRP segment.'),
});

export const track = z.strictObject({
  script: z
    .string()
    .regex(/^\/[^"\n]*$/, 'expected an absolute command path (with arguments), without quotes')
    .optional()
    .describe('Check command run by keepalived (no shell); exit 0 = healthy. Default: the Kubernetes API answers through this host\'s haproxy, `/usr/bin/curl -sfk --max-time 2 -o /dev/null https://127.0.0.1:PORT/readyz` (PORT: its API front end; the bind address instead of 127.0.0.1 when `haproxy.api.bind` is set); on a control plane without haproxy, kube-apiserver itself; else `systemctl is-active haproxy`. Absolute path, not a multi-call symlink (`enable_script_security` runs the resolved path: Debian\'s `/usr/bin/pidof` becomes `killall5` and always fails).'),
  interval: z.number().int().min(1).default(2).describe('Seconds between checks.'),
  fall: z.number().int().min(1).default(2).describe('Failed checks before the weight applies.'),
  rise: z.number().int().min(1).default(2).describe('Passed checks before it is lifted.'),
  weight: z
    .number()
    .int()
    .min(-253)
    .max(-1)
    .optional()
    .describe('Priority change while the check fails; default: minus (priority gap from the first to the last peer + priority_step), so a failing first host drops below every healthy peer.'),
});

export const keepalivedVars = z.strictObject({
  package: z.string().min(1).default('keepalived').describe('Debian package to install.'),
  config_path: z.string().startsWith('/').default('/etc/keepalived/keepalived.conf').describe('Configuration file.'),
  vip: z
    .string()
    .refine((v) => parseIpv4WithPrefix(v) !== undefined, 'expected an IPv4 address, optionally with /prefix')
    .describe('The virtual IP (IPv4), e.g. `192.168.68.200` or `192.168.68.200/24`; without a prefix, the prefix of the interface\'s own address on that subnet.'),
  group: z.string().min(1).optional().describe('Inventory group of the VRRP peers; default: every host whose inventory sets the same `keepalived.vip`.'),
  peers: z.array(peer).min(1).optional().describe('Explicit peers in priority order; default: from `group` or the shared VIP, in inventory order, each at its address on the VIP\'s subnet (`ip`/`ansible_host`/`address`), else its inventory address.'),
  interface: word.optional().describe('Interface for VRRP and the VIP; default: the one with an address on the VIP\'s subnet, else the one holding the host\'s inventory address (`ip addr` fact).'),
  virtual_router_id: z.number().int().min(1).max(255).optional().describe('VRID, the same on all peers and unique per L2 segment; default: the last octet of the VIP.'),
  priority: z.number().int().min(1).max(254).optional().describe('This host\'s priority; default: `priority_start - index × priority_step` by position among the peers.'),
  priority_start: z.number().int().min(2).max(254).default(150).describe('Priority of the first peer.'),
  priority_step: z.number().int().min(1).max(100).default(10).describe('Priority gap between consecutive peers.'),
  state: z.enum(['BACKUP', 'MASTER']).default('BACKUP').describe('Initial state. BACKUP on all: priorities alone decide (see README).'),
  preempt: z.boolean().default(true).describe('A higher-priority peer takes the VIP back when it returns.'),
  preempt_delay: z.number().int().min(0).max(1000).optional().describe('Seconds to wait after start-up before preempting.'),
  advert_int: z.number().int().min(1).max(255).default(1).describe('Seconds between VRRP adverts.'),
  unicast: z.boolean().default(true).describe('Send adverts to the peers\' addresses (`unicast_src_ip`/`unicast_peer`, the peers are known from the inventory); false = multicast 224.0.0.18, which Wi-Fi bridges, IGMP-snooping switches and clouds drop (both peers then become MASTER).'),
  auth_pass: z
    .instanceof(Secret, { message: 'expected a secret: tag it !secret in the inventory' })
    .refine((s) => s.reveal().length >= 4 && s.reveal().length <= 8, 'keepalived uses only the first 8 characters of auth_pass, and a secret needs at least 4: use 4 to 8 characters')
    .optional()
    .describe('VRRP PASS authentication (`!secret`, 4-8 characters: keepalived ignores the rest, and shorter secrets are refused).'),
  track: z.union([track, z.literal(false)]).prefault({}).describe('Health check lowering the priority (default: the API answers `/readyz` through haproxy); false = none.'),
  track_interfaces: z
    .union([z.array(word), z.literal(false)])
    .optional()
    .describe('`track_interface`: interfaces whose loss puts the instance in FAULT (the VIP leaves at once). Default: the interfaces on the subnets of the API backends (`haproxy.api.group`, else `cluster.control_plane_group`) other than the VRRP one (`ip addr` fact), e.g. the inner NIC of a dual-homed gateway; false = none.'),
  script_user: word.default('root').describe('User that runs check scripts (`enable_script_security` is always on).'),
  router_id: word.optional().describe('`router_id` in global_defs; default: the inventory host name.'),
  instance: word.optional().describe('vrrp_instance name; default: `VI_<virtual_router_id>`.'),
  extra_config: z.string().optional().describe('Text appended verbatim to the configuration (validated with the rest).'),
});

export type KeepalivedVars = z.output<typeof keepalivedVars>;

import { z } from 'zod';
import { isCidr, isIp } from '../../src/net/address.js';
import { nftPortProblem, nftStringProblem } from '../../src/net/nft.js';

/** Field schemas shared by the firewall's input rules and its routing vars. */

export const port = z
  .union([z.number().int(), z.string()])
  .superRefine((p, ctx) => {
    const problem = nftPortProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const address = z.string().refine((s) => isIp(s.trim()) || isCidr(s.trim()), { message: 'not an IP address or CIDR' });
export const ip = z.string().refine((s) => isIp(s.trim()), { message: 'not an IP address' });
export const cidr = z.string().refine((s) => isCidr(s.trim()), { message: 'not a CIDR such as 10.244.0.0/16' });

export const comment = z.string().superRefine((s, ctx) => {
  const problem = nftStringProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: `comment ${problem}` });
});

export const interfaceName = z
  .string()
  .regex(/^[A-Za-z0-9_.:@-]{1,15}\*?$/, 'an interface name (up to 15 characters, optional trailing *)');

export const portProtos = ['tcp', 'udp', 'tcp+udp'] as const;

/** tcp, udp, tcp+udp, icmp, icmpv6 or an IP protocol number. */
export const proto = z.union([z.enum([...portProtos, 'icmp', 'icmpv6']), z.number().int().min(0).max(255)]);

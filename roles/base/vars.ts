import { z } from 'zod';

export const baseVars = z.strictObject({
  packages: z.array(z.string().min(1)).default([]).describe('Debian packages every host of the play gets (one apt call)'),
  sysctls: z
    .record(z.string().regex(/^[a-z0-9_.\-/]+$/, 'a sysctl key such as net.ipv4.ip_forward'), z.union([z.string(), z.number()]))
    .default({})
    .describe('kernel parameters set now and persisted in /etc/sysctl.d/99-labwright.conf'),
  motd: z.boolean().default(true).describe('write /etc/motd naming the host, its groups and that labwright manages it'),
});

export type BaseVars = z.output<typeof baseVars>;

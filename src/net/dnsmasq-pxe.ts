/**
 * PXE boot with dnsmasq: a boot file per client architecture (DHCP option 93,
 * client-arch, RFC 4578 and the IANA "Processor Architecture Types" registry),
 * served by dnsmasq's own TFTP server or by another one (`server`).
 */

/**
 * The architectures a boot file can be given for: dnsmasq tag and the option 93
 * values that set it. EFI x86-64 firmware sends 7 (RFC 4578 wrote "EFI BC")
 * or 9 (the registry's x86-64 after its 2013 correction): both are matched.
 */
export const PXE_ARCHES = {
  bios: { tag: 'bios', codes: [0] },
  efi_ia32: { tag: 'efi-ia32', codes: [6] },
  efi_x86_64: { tag: 'efi-x86_64', codes: [7, 9] },
  efi_arm64: { tag: 'efi-arm64', codes: [11] },
} as const;

export type PxeArch = keyof typeof PXE_ARCHES;

/** dnsmasq tags the PXE part sets: a segment may not be named like one. */
export const PXE_TAGS: readonly string[] = Object.values(PXE_ARCHES).map((a) => a.tag);

/** The `pxe` settings (the dnsmasq role's vars, after zod). */
export interface PxeSettings {
  boot: Partial<Record<PxeArch, string>>;
  tftp_root: string;
  server?: string;
  segments?: string[];
}

/** What the config renders: matches, boot lines, TFTP. */
export interface PxeConfig {
  /** dnsmasq serves TFTP itself from this directory (undefined: `server` does). */
  tftpRoot?: string;
  /** `dhcp-match=set:<tag>,option:client-arch,<code>` */
  matches: { tag: string; code: number }[];
  /** `dhcp-boot=tag:<segment>,tag:<arch>,<file>[,,<server>]` (no segment tag: every segment). */
  boots: { tags: string[]; file: string; server?: string }[];
}

type Issue = { path: (string | number)[]; message: string };

/** Checks the PXE settings against the server's segments and derives what the config says. */
export function derivePxe(pxe: PxeSettings, segmentNames: readonly string[]): { config?: PxeConfig; issues: Issue[] } {
  const issues: Issue[] = [];
  (pxe.segments ?? []).forEach((name, i) => {
    if (!segmentNames.includes(name)) issues.push({ path: ['pxe', 'segments', i], message: `no segment named "${name}" (segments: ${segmentNames.join(', ')})` });
  });
  const arches = (Object.keys(PXE_ARCHES) as PxeArch[]).filter((arch) => pxe.boot[arch] !== undefined);
  if (arches.length === 0) issues.push({ path: ['pxe', 'boot'], message: `no boot file: give one for at least one of ${Object.keys(PXE_ARCHES).join(', ')}` });
  if (issues.length > 0) return { issues };
  const onSegments: (string | undefined)[] = pxe.segments?.length ? pxe.segments : [undefined];
  return {
    issues,
    config: {
      ...(pxe.server ? {} : { tftpRoot: pxe.tftp_root }),
      matches: arches.flatMap((arch) => PXE_ARCHES[arch].codes.map((code) => ({ tag: PXE_ARCHES[arch].tag, code }))),
      boots: onSegments.flatMap((segment) =>
        arches.map((arch) => ({ tags: [...(segment ? [segment] : []), PXE_ARCHES[arch].tag], file: pxe.boot[arch]!, ...(pxe.server ? { server: pxe.server } : {}) })),
      ),
    },
  };
}

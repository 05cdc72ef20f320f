import { parse as parseYaml, stringify } from 'yaml';
import { fileInfo } from '../../src/facts/builtin.js';
import { defineFact } from '../../src/facts/fact.js';
import { netplanValidateCommand } from '../../src/net/netplan.js';
import { absent, file, ok, type Op } from '../../src/ops/index.js';
import { sh } from '../../src/shell/quote.js';
import { chooseNic, nicWol, type NicWol } from './ops.js';

/**
 * Wake-on-LAN on a Netplan host. Netplan writes a `10-netplan-<id>.link` for
 * each ethernet it defines with `match:`/`set-name:` (cloud-init's
 * 50-cloud-init.yaml does), with `WakeOnLan=off` unless the definition says
 * `wakeonlan: true`; udev applies only the first matching .link file, and
 * "10-netplan-" sorts before our 50-labwright-wol.link. So on such a host the
 * wake setting goes into Netplan itself: a file that merges `wakeonlan: true`
 * into the definition (same ID) that covers the NIC.
 */
export const NETPLAN_WOL_PATH = '/etc/netplan/70-labwright-wol.yaml';

type EthernetDef = { match?: { macaddress?: string; name?: string }; 'set-name'?: string };

/**
 * Netplan's merged ethernet definitions (`netplan get all`) without our own
 * file (read from a scratch copy of the Netplan directories: our file alone
 * must never count as a definition of the NIC); empty when Netplan is not
 * there or has no other config.
 */
export const netplanEthernets = defineFact('netplan-ethernets', () => ({
  command: sh`if command -v netplan >/dev/null 2>&1; then lw_r=$(mktemp -d) && for d in etc lib run; do mkdir -p "$lw_r/$d/netplan"; if [ -d /$d/netplan ]; then cp -a /$d/netplan/. "$lw_r/$d/netplan/"; fi; done && rm -f "$lw_r"${NETPLAN_WOL_PATH} && if ls "$lw_r"/*/netplan/*.yaml >/dev/null 2>&1; then netplan get --root-dir "$lw_r" all; fi; lw_rc=$?; rm -rf "$lw_r"; exit $lw_rc; fi`,
  parse: ({ stdout }): Record<string, EthernetDef> => {
    const doc = (stdout.trim() ? parseYaml(stdout) : null) as { network?: { ethernets?: Record<string, EthernetDef> } } | null;
    return doc?.network?.ethernets ?? {};
  },
}));

/** A Netplan `match: name:` glob (fnmatch: *, ?, [...]) as a regular expression. */
function globRegex(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^');
  return new RegExp(`^${body}$`);
}

/** The ID of the Netplan ethernet definition that configures `nic`, if any. */
export function netplanIdFor(nic: Pick<NicWol, 'nic' | 'mac'>, ethernets: Record<string, EthernetDef>): string | undefined {
  return Object.entries(ethernets).find(([id, d]) => {
    if (!d.match) return id === nic.nic;
    if (d.match.macaddress && d.match.macaddress.toLowerCase() !== nic.mac.toLowerCase()) return false;
    if (d.match.name && !globRegex(d.match.name).test(nic.nic)) return false;
    return Boolean(d.match.macaddress || d.match.name);
  })?.[0];
}

export function renderNetplanWol(id: string, nic: string): string {
  return `# Managed by labwright (role wol): magic-packet wake for ${nic} at every boot, merged into its Netplan definition.\n${stringify(
    { network: { version: 2, ethernets: { [id]: { wakeonlan: true } } } },
    { lineWidth: 0 },
  )}`;
}

/**
 * The Netplan file when a Netplan definition covers the NIC (validated with
 * `netplan generate` over copies of every Netplan file), removed when none
 * does any more.
 */
export function netplanWol(hostName: string, select: { mac?: string; interface?: string }): Op {
  const defs = netplanEthernets();
  const current = fileInfo(NETPLAN_WOL_PATH);
  const nics = nicWol(select);
  return {
    label: `netplan ${NETPLAN_WOL_PATH}`,
    facts: [defs, current, nics],
    async plan(ctx) {
      const n = chooseNic(await ctx.fact(nics), hostName, select);
      const id = netplanIdFor(n, await ctx.fact(defs));
      if (id === undefined) {
        if ((await ctx.fact(current)).exists) return absent({ path: NETPLAN_WOL_PATH }).plan(ctx);
        return ok(`no Netplan definition configures ${n.nic}: the .link file applies`);
      }
      const op = file({
        path: NETPLAN_WOL_PATH,
        content: renderNetplanWol(id, n.nic),
        owner: 'root',
        group: 'root',
        mode: '0600',
        validate: (tmp) => netplanValidateCommand(tmp, NETPLAN_WOL_PATH),
      });
      return op.plan(ctx);
    },
  };
}

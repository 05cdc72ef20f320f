import { posix } from 'node:path';
import { sh, type Command } from '../shell/quote.js';

/**
 * Netplan conventions shared by the roles that write its YAML. Netplan reads
 * /lib, /etc and /run/netplan/*.yaml in lexical order of file names and merges
 * them: later scalars win, later sequences are appended, mappings merge key by
 * key; a device keeps the type (ethernets, bridges…) it was first defined with.
 */
export const NETPLAN_DIR = '/etc/netplan';

/** Netplan device sections, by the kind of link they define. */
export type NetplanDeviceType = 'ethernets' | 'bridges' | 'bonds' | 'vlans';

/**
 * Checks a candidate Netplan file with `netplan generate` in a scratch root
 * holding copies of every Netplan file there is now plus the candidate under
 * its final name, so the check sees the merged configuration exactly as
 * `netplan apply` will, and nothing under /run is touched.
 */
export function netplanValidateCommand(tempPath: string, finalPath: string): Command {
  const name = posix.basename(finalPath);
  // A subshell: it runs inside the atomic write's `set -e` script, whose own exit must not be cut short.
  return sh`(lw_rc=1; lw_root=$(mktemp -d) && mkdir -p "$lw_root/etc/netplan" "$lw_root/lib/netplan" "$lw_root/run/netplan" && for d in etc lib run; do if [ -d /$d/netplan ]; then cp -a /$d/netplan/. "$lw_root/$d/netplan/"; fi; done && cp ${tempPath} "$lw_root/etc/netplan/"${name} && chmod 600 "$lw_root/etc/netplan/"${name} && if netplan generate --root-dir "$lw_root"; then lw_rc=0; else lw_rc=$?; fi; rm -rf "$lw_root"; exit $lw_rc)`;
}


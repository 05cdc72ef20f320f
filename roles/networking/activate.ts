import { Command, joinCommands, sh } from '../../src/shell/quote.js';
import type { Renderer } from './vars.js';

/**
 * The activation script `guarded` runs detached after writing the files, and
 * again (after putting the old files back) when it rolls back. It therefore
 * makes the live links follow WHATEVER files are in place, in both directions:
 *
 * 1. when created links changed, appeared or went away (networkd/Netplan never
 *    change an existing netdev): stop networkd, delete them, start it again,
 *    which creates anew those whose file is there and reconfigures every link;
 * 2. otherwise `networkctl reload` (networkd) or `netplan apply`, then
 *    `networkctl reconfigure` the links whose live state drifted,
 * 3. wait (bounded) until networkd has processed every link and, where our
 *    file asks for a static address and the link has carrier, the address is there,
 * 4. give a NIC networkd no longer manages its state from before the change
 *    back (Docker's or DHCP's address would otherwise stay lost),
 * 5. fail when networkd reports a link failed or another file wins over ours.
 */
export interface ActivationArgs {
  renderer: Renderer;
  /** Created links to delete before applying. */
  recreate: readonly string[];
  /** Links to `networkctl reconfigure` after applying (if they exist). */
  reconfigure: readonly string[];
  /** Links whose networkd state is waited for and checked. */
  watch: readonly { name: string; networkFile?: string; addresses: readonly string[] }[];
  /** NICs that, if networkd leaves them unmanaged, get this state back (networkFile: ours, for networkd). */
  restore: readonly { name: string; command: Command; networkFile?: string }[];
  settleTimeout: number;
}

const STATE = `lw_state() { networkctl list --no-legend --no-pager -- "$1" 2>/dev/null | awk '{print $5}'; }`;
const FILE = `lw_file() { networkctl status --no-pager -n 0 -- "$1" 2>/dev/null | sed -n 's/^ *Network File: //p'; }`;
const CARRIER = `lw_carrier() { [ "$(cat /sys/class/net/$1/carrier 2>/dev/null)" = 1 ]; }`;

export function activationScript(a: ActivationArgs): Command {
  const steps: Command[] = [sh`set -u`, new Command(STATE, STATE), new Command(FILE, FILE), new Command(CARRIER, CARRIER)];
  if (a.recreate.length > 0) {
    // networkd must not see the links go: it would try to re-enslave ports to the vanishing master and
    // leave them failed, and a later reconfigure stays stuck (systemd 252). Stop it (and its netlink
    // socket, which would start it again), delete, start: it then reads every file afresh.
    steps.push(sh`systemctl stop systemd-networkd.socket systemd-networkd.service`);
    for (const l of a.recreate) steps.push(sh`if ip link show dev ${l} >/dev/null 2>&1; then ip link del dev ${l}; fi`);
    // Netplan: networkd must start from the NEW generated files, or it re-creates the links as they were
    if (a.renderer === 'netplan') steps.push(sh`netplan generate || { systemctl start systemd-networkd.socket systemd-networkd.service; exit 1; }`);
    steps.push(sh`systemctl start systemd-networkd.socket systemd-networkd.service || exit 1`);
    if (a.renderer === 'netplan') steps.push(sh`netplan apply || exit 1`);
  } else {
    steps.push(a.renderer === 'networkd' ? sh`networkctl reload || exit 1` : sh`netplan apply || exit 1`);
    steps.push(sh`sleep 1`);
    for (const l of a.reconfigure) steps.push(sh`if ip link show dev ${l} >/dev/null 2>&1; then networkctl reconfigure ${l} || true; fi`);
  }

  // a link is settled when networkd has picked it up and its wanted static addresses are there
  const checks: Command[] = [];
  for (const w of a.watch) {
    if (w.networkFile) {
      // only what the file in place asks for: after a rollback it is the old file
      checks.push(sh`if [ -e ${w.networkFile} ]; then case "$(lw_state ${w.name})" in ''|pending|initialized) return 1;; esac; fi`);
      for (const addr of w.addresses) {
        const fam = addr.includes(':') ? 'inet6' : 'inet';
        checks.push(
          sh`if grep -qxF ${`Address=${addr}`} ${w.networkFile} 2>/dev/null && ip link show dev ${w.name} >/dev/null 2>&1 && { lw_carrier ${w.name} || grep -qx 'ConfigureWithoutCarrier=yes' ${w.networkFile}; } && ! ip -o addr show dev ${w.name} | grep -qF ${` ${fam} ${addr} `}; then return 1; fi`,
        );
      }
    } else {
      checks.push(sh`case "$(lw_state ${w.name})" in pending|initialized) return 1;; esac`);
    }
  }
  // a NIC whose file went away: wait until networkd has let go of it (it removes its addresses then)
  for (const r of a.restore) {
    if (r.networkFile) checks.push(sh`if [ ! -e ${r.networkFile} ] && ip link show dev ${r.name} >/dev/null 2>&1 && [ "$(lw_state ${r.name})" != unmanaged ]; then return 1; fi`);
  }
  // a failed link will not get better by waiting
  const failedFirst = a.watch.map((w) => sh`[ "$(lw_state ${w.name})" = failed ] && return 0`.text);
  const settled = `lw_settled() { ${[...failedFirst, ...checks.map((c) => c.text), 'return 0'].join('; ')}; }`;
  steps.push(new Command(settled, settled));
  steps.push(sh`lw_end=$(( $(date +%s) + ${a.settleTimeout} ))`);
  steps.push(sh`while ! lw_settled && [ "$(date +%s)" -lt "$lw_end" ]; do sleep 0.5; done`);

  for (const r of a.restore) {
    steps.push(
      sh`if ip link show dev ${r.name} >/dev/null 2>&1 && [ "$(lw_state ${r.name})" = unmanaged ]; then echo ${`${r.name} is no longer managed: restoring its addresses and routes from before the change`}; ${r.command}; fi`,
    );
  }

  steps.push(sh`lw_rc=0`);
  for (const w of a.watch) {
    steps.push(sh`if [ "$(lw_state ${w.name})" = failed ]; then echo ${`${w.name}: systemd-networkd failed to configure it:`}; networkctl status --no-pager -n 8 -- ${w.name} 2>&1 | tail -n 8; lw_rc=1; fi`);
    if (w.networkFile) {
      steps.push(
        sh`if [ -e ${w.networkFile} ] && ip link show dev ${w.name} >/dev/null 2>&1; then lw_f=$(lw_file ${w.name}); if [ -n "$lw_f" ] && [ "$lw_f" != ${w.networkFile} ]; then echo ${`${w.name} is configured by`} "$lw_f" ${`instead of ${w.networkFile} (a file that sorts first matches it)`}; lw_rc=1; fi; fi`,
      );
    }
  }
  steps.push(sh`exit $lw_rc`);
  const script = joinCommands(steps, '\n');
  // what a human reads in plans and errors: the gist, not the script
  const gist = [
    a.recreate.length > 0 ? `re-create ${a.recreate.join(', ')} (networkd restarted)` : a.renderer === 'networkd' ? 'networkctl reload' : 'netplan apply',
    a.reconfigure.length > 0 && a.recreate.length === 0 ? `reconfigure ${a.reconfigure.join(', ')}` : '',
    a.watch.length > 0 ? `wait for ${a.watch.map((w) => w.name).join(', ')}` : '',
  ].filter(Boolean);
  return new Command(script.text, gist.join('; '));
}

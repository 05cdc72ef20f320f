import { stringify } from 'yaml';
import { main, type Io } from '../../src/cli/main.js';
import { parseCliOptions } from '../../src/cli/options.js';
import { play, type PlayDef } from '../../src/engine/definitions.js';
import { resolveRoleVars } from '../../src/engine/role-vars.js';
import { OptionsError, ParseError, UserError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/index.js';
import { vmLabInventory } from '../../src/net/vm-lab.js';
import { redact } from '../../src/secret.js';
import { macLab } from './index.js';
import type { MacLab } from './vars.js';

/** The inventory group of the machines that host the lab (the Mac, `ansible_connection: local`). */
export const VM_HOSTS = 'vm_hosts';

export function macLabPlays(down: boolean): PlayDef[] {
  return [play({ name: down ? 'mac lab network down' : 'mac lab network', hosts: VM_HOSTS, roles: [down ? macLab.with({ state: 'absent' }) : macLab] })];
}

/**
 * `mac-lab.ts -i INVENTORY [--down] [--emit-inventory] [engine options]`:
 * brings the lab network up (or `--down`), or prints the VMs' inventory —
 * every address from the lab's one subnet — for the cluster playbooks.
 */
export async function macLabMain(argv: readonly string[], io?: Io): Promise<number> {
  const out = io?.out ?? ((s: string) => void process.stdout.write(s));
  const err = io?.err ?? ((s: string) => void process.stderr.write(s));
  const down = argv.includes('--down');
  const emit = argv.includes('--emit-inventory');
  const rest = argv.filter((a) => a !== '--down' && a !== '--emit-inventory');
  if (!emit) return main(macLabPlays(down), rest, io);
  try {
    if (down) throw new OptionsError('--emit-inventory and --down do not go together');
    const opts = parseCliOptions(rest);
    const inventory = await loadInventory(opts.inventory, { extraVars: opts.extraVars });
    // The limit is its own pattern (as Ansible's subset): glued on with ':', a limit holding ',' would be split there.
    const limited = opts.limit ? new Set(inventory.select(opts.limit).map((host) => host.name)) : undefined;
    const hosts = inventory.select(VM_HOSTS).filter((host) => !limited || limited.has(host.name));
    if (hosts.length !== 1) {
      throw new ParseError(
        `--emit-inventory needs exactly one host in group ${VM_HOSTS}${opts.limit ? ` matching --limit ${opts.limit}` : ''}, found ${hosts.length}${hosts.length ? `: ${hosts.map((h) => h.name).join(', ')}` : ''}`,
        hosts.length ? 'pick one with --limit' : `put the Mac in group ${VM_HOSTS}`,
      );
    }
    const lab = resolveRoleVars(macLab, hosts[0]!, inventory) as MacLab;
    out(`# The lab's VMs, derived from mac_lab.subnet ${lab.plan.subnet} of ${hosts[0]!.name} (labwright role mac-lab).\n`);
    // YAML 1.1 quoting, as the inventory loader (like Ansible) reads it: an all-digit MAC stays a string
    out(stringify(vmLabInventory(lab.plan, { domain: lab.domain, ...(lab.vmUser ? { user: lab.vmUser } : {}) }), { version: '1.1' }));
    return 0;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    err(redact(`ERROR: ${e.message}${e.hint ? `\n(${e.hint})` : ''}\n`));
    return e.exitCode;
  }
}

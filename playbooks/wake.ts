/**
 * Wakes sleeping hosts with Wake-on-LAN magic packets:
 *
 *   npx tsx playbooks/wake.ts -i inventory.yaml --limit workers [--check]
 *
 * `--limit` names the hosts to wake (each needs a `mac` var and its subnet,
 * `lan.subnet`). A sleeping host cannot run anything, so the plays run on the
 * senders: the controller (`localhost`: the inventory need not define it) or
 * the relay a target names in `wol.via`. See roles/wol/README.md.
 */
import { wakeMain } from '../roles/wol/wake.js';

process.exit(await wakeMain(process.argv.slice(2)));

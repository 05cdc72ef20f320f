/**
 * The macOS local-VM lab network (seed 004): socket_vmnet's bridge, Homebrew
 * dnsmasq serving the VMs' reservations on it, every address from one subnet.
 *
 *   npx tsx playbooks/mac-lab.ts -i mac.yaml [--check] [--diff]      up
 *   npx tsx playbooks/mac-lab.ts -i mac.yaml --down                  down
 *   npx tsx playbooks/mac-lab.ts -i mac.yaml --emit-inventory > vms.yaml
 *
 * The Mac is the one host of group `vm_hosts`. See roles/mac-lab/README.md.
 */
import { macLabMain } from '../roles/mac-lab/main.js';

process.exit(await macLabMain(process.argv.slice(2)));

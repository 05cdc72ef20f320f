import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { labFromInventory } from './from-inventory.js';
import { ensureImage, removeLab, removeLeftovers, startLab } from './index.js';

const DEMO = 'demo';
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The example inventory the demo lab is laid out from, and the playbook it runs. */
const HOME_INVENTORY = 'inventory/home.yaml';
const SITE = 'playbooks/site.ts';
/** Roles that need a Kubernetes control plane (not available here): shown with --check only. */
const CLUSTER_TAGS = 'kubeadm-init,calico,metallb';

/** Runs the site playbook against the lab, streaming its output; resolves to its exit code. */
function runSite(args: string[]): Promise<number> {
  console.log(`\n$ npx tsx ${SITE} ${args.join(' ')}`);
  const child = spawn('npx', ['tsx', SITE, ...args], { cwd: REPO, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/**
 * The demo: a container per host of inventory/home.yaml (same groups, same
 * vars, the LAN moved to a lab subnet), the site playbook applied for real
 * (network roles), then the cluster roles in --check (no control plane here).
 */
async function up(): Promise<number> {
  await removeLab(DEMO);
  const started = Date.now();
  const layout = await labFromInventory(`${REPO}${HOME_INVENTORY}`);
  const lab = await startLab({ name: DEMO, hosts: layout.hosts, subnet: layout.subnet });
  console.log(`Lab "${lab.name}" is up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${HOME_INVENTORY}'s LAN ${layout.home} stands at ${lab.network.subnet} (same host numbers)`);
  for (const host of layout.hosts) console.log(`  ${host.name.padEnd(5)} ${host.ip!.padEnd(15)} ${host.groups.join(', ')}`);
  console.log(`Inventory: ${lab.inventoryPath}`);
  console.log(`SSH:       ssh -i ${lab.keyPath} -o UserKnownHostsFile=${lab.knownHostsPath} lab@${lab.hosts[0]!.ip}`);
  console.log('Remove with: npm run lab:down');
  const applied = await runSite(['-i', lab.inventoryPath, '--skip-tags', CLUSTER_TAGS]);
  if (applied !== 0) return applied;
  return runSite(['-i', lab.inventoryPath, '--check', '--tags', CLUSTER_TAGS]);
}

async function down(): Promise<number> {
  await removeLab(DEMO);
  const leftovers = await removeLeftovers();
  console.log(`Removed lab "${DEMO}"${leftovers.length > 0 ? ` and leftovers: ${leftovers.join(', ')}` : ''}.`);
  return 0;
}

async function image(): Promise<number> {
  const started = Date.now();
  const name = await ensureImage();
  console.log(`Test-host image ${name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return 0;
}

const commands: Record<string, () => Promise<number>> = { up, down, image };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error('usage: tsx test/lab/cli.ts up|down|image');
  process.exit(2);
}
command().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`lab: ${error.message}`);
    process.exit(1);
  },
);

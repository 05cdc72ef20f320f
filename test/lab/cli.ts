import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureImage, removeLab, removeLeftovers, startLab, type LabHostSpec } from './index.js';

const DEMO = 'demo';
const DEMO_HOSTS: LabHostSpec[] = [
  { name: 'gw1', groups: ['gateways'] },
  { name: 'cp1', groups: ['control_plane'] },
  { name: 'w1', groups: ['workers'] },
];
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const LAB_PLAYBOOK = 'playbooks/lab.ts';

/** Runs the engine team's lab playbook against the inventory, streaming its output; resolves to its exit code. */
function runLabPlaybook(inventoryPath: string): Promise<number> {
  console.log(`\n$ npx tsx ${LAB_PLAYBOOK} -i ${inventoryPath}`);
  const child = spawn('npx', ['tsx', LAB_PLAYBOOK, '-i', inventoryPath], { cwd: REPO, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function up(): Promise<number> {
  await removeLab(DEMO);
  const started = Date.now();
  const lab = await startLab({ name: DEMO, hosts: DEMO_HOSTS });
  console.log(`Lab "${lab.name}" is up in ${((Date.now() - started) / 1000).toFixed(1)} s on ${lab.network.name} (${lab.network.subnet}):`);
  for (const host of lab.hosts) {
    const groups = DEMO_HOSTS.find((spec) => spec.name === host.name)!.groups.join(', ');
    console.log(`  ${host.name.padEnd(4)} ${host.ip.padEnd(15)} ${groups}`);
  }
  console.log(`Inventory: ${lab.inventoryPath}`);
  console.log(`SSH:       ssh -i ${lab.keyPath} -o UserKnownHostsFile=${lab.knownHostsPath} lab@${lab.hosts[0]!.ip}`);
  console.log('Remove with: npm run lab:down');
  return existsSync(`${REPO}${LAB_PLAYBOOK}`) ? runLabPlaybook(lab.inventoryPath) : 0;
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

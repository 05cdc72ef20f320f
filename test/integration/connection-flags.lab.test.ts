import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { z } from 'zod';
import { runLabwright } from '../../src/cli/labwright.js';
import { main } from '../../src/cli/main.js';
import { defineRole, play } from '../../src/engine/definitions.js';
import { command } from '../../src/ops/index.js';
import { sh } from '../../src/shell/quote.js';
import { startLab, type Lab } from '../lab/index.js';
import { captureIo } from '../support/io.js';
import { shOn } from '../support/lab-shell.js';

/**
 * Ansible's connection flags -u/--user, --private-key, -b/--become and
 * --become-user, of a playbook run and of `labwright exec`, on a lab host
 * whose inventory names no user, key or become; and a host's own variable
 * winning over them, as in Ansible.
 */
let lab: Lab;
let bare: string;
const whoami = defineRole({
  name: 'whoami',
  vars: z.object({}),
  tasks: ({ task }) => [task('record the user', ({ host }) => command({ run: sh`echo "$(id -un) \${SUDO_USER:-}" > ${String(host.vars.out)}` }))],
});
const plays = [play({ name: 'whoami', hosts: 'servers', roles: [whoami] })];

/** Runs the playbook with `flags`; resolves with its exit code, output and the user its task ran as (then the user sudo was run by). */
async function runAs(inventory: string, out: string, ...flags: string[]) {
  const io = captureIo();
  const code = await main(plays, ['-i', inventory, '-e', `out=${out}`, ...flags], io);
  const ranAs = code === 0 ? (await shOn(lab.hosts[0]!, `cat ${out}`)).trim() : undefined;
  return { code, ranAs, out: io.text() };
}

beforeAll(async () => {
  lab = await startLab({ name: 'flags', hosts: [{ name: 'h1', groups: ['servers'] }] });
  // the lab's inventory without the user, the key and become
  const inventory = YAML.parse(await readFile(lab.inventoryPath, 'utf8'));
  const h1 = inventory.all.children.servers.hosts.h1;
  for (const key of ['ansible_user', 'ansible_become', 'ansible_ssh_private_key_file']) delete h1[key];
  bare = join(lab.keyPath, '..', 'bare.yaml');
  await writeFile(bare, YAML.stringify(inventory));
}, 180_000);

afterAll(async () => {
  await lab?.stop();
});

describe('-u, --private-key, -b, --become-user', () => {
  it('a playbook run connects as -u with --private-key; -b runs its tasks as root, --become-user as that user', async () => {
    // not root and no become: the run lock and pending handlers need a state directory lab can write
    const noState = await runAs(bare, '/tmp/lw-1', '-u', 'lab', '--private-key', lab.keyPath);
    expect(noState.code).toBe(2);
    expect(noState.out).toContain('cannot lock /var/lib/labwright as lab: become root (-b, ansible_become) or set labwright_state_dir to a directory lab can write');
    const plain = await runAs(bare, '/tmp/lw-1', '-u', 'lab', '--private-key', lab.keyPath, '-e', 'labwright_state_dir=/tmp/lw-state');
    expect(plain, plain.out).toMatchObject({ code: 0, ranAs: 'lab' });
    expect(await runAs(bare, '/tmp/lw-2', '-u', 'lab', '--private-key', lab.keyPath, '-b')).toMatchObject({ code: 0, ranAs: 'root lab' });
    // as nobody, labwright's own state (run lock, pending handlers) needs a directory nobody can write, as for lab above
    const asNobody = await runAs(bare, '/tmp/lw-3', '-u', 'lab', '--private-key', lab.keyPath, '-b', '--become-user', 'nobody', '-e', 'labwright_state_dir=/tmp/lw-state-nobody');
    expect(asNobody, asNobody.out).toMatchObject({ code: 0, ranAs: 'nobody lab' });
  });

  it('without --private-key the host refuses the controller (unreachable, exit 3)', async () => {
    const run = await runAs(bare, '/tmp/lw-4', '-u', 'lab');
    expect(run.code, run.out).toBe(3);
    expect(run.out).toContain('unreachable');
  });

  it("the inventory's own ansible_user, key and become win over the flags", async () => {
    // the lab's inventory says lab, its key, become: -u root would be let in too (root accepts the lab key)
    expect(await runAs(lab.inventoryPath, '/tmp/lw-5', '-u', 'root', '--private-key', '/nonexistent/key')).toMatchObject({ code: 0, ranAs: 'root lab' });
    const io = captureIo();
    expect(await runLabwright(['exec', 'h1', '-i', lab.inventoryPath, '-u', 'root', '--', 'echo "sudo by $SUDO_USER"'], io), io.text()).toBe(0);
    expect(io.stdout).toContain('sudo by lab');
  });

  it('labwright exec takes -u and --private-key too', async () => {
    const io = captureIo();
    expect(await runLabwright(['exec', 'h1', '-i', bare, '-u', 'lab', '--private-key', lab.keyPath, '-e', 'labwright_state_dir=/tmp/lw-state', '--', 'id -un'], io), io.text()).toBe(0);
    expect(io.stdout).toMatch(/\blab\b/);
    const become = captureIo();
    expect(await runLabwright(['exec', 'h1', '-i', bare, '-u', 'lab', '--private-key', lab.keyPath, '-e', 'labwright_state_dir=/tmp/lw-state', '-b', '--', 'id -un'], become), become.text()).toBe(0);
    expect(become.stdout).toMatch(/\broot\b/);
  });
});

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../connection/index.js';
import { useSshd } from '../connection/test-sshd.js';
import { sh } from '../shell/quote.js';
import { loadError, writeTree, yamlLines } from './fixtures/tree.js';
import { loadInventory } from './load.js';

/** The connection of host `h` of the tree `files` (hosts.yaml and its vars files), with the tree's folder. */
async function connectionIn(files: Record<string, string>, extraVars?: Record<string, unknown>) {
  const dir = await writeTree(files);
  const inventory = await loadInventory([path.join(dir, 'hosts.yaml')], { extraVars });
  return { dir, connection: inventory.hosts.get('h')!.connection };
}

describe('controller paths in connection settings (ansible_ssh_private_key_file, known_hosts_file)', () => {
  it('expands ~ to the home directory, as Ansible does', async () => {
    const { connection } = await connectionIn({ 'hosts.yaml': yamlLines('all:', '  hosts:', '    h: { ansible_ssh_private_key_file: ~/.ssh/lab, known_hosts_file: "~" }') });
    expect(connection.privateKeyFile).toBe(path.join(homedir(), '.ssh/lab'));
    expect(connection.knownHostsFile).toBe(homedir());
  });

  it('takes a relative path from the folder of the inventory file that set it', async () => {
    const { dir, connection } = await connectionIn({ 'hosts.yaml': yamlLines('all:', '  hosts:', '    h: { key_file: keys/lab, known_hosts_file: ../shared/known_hosts }') });
    expect(connection.privateKeyFile).toBe(path.join(dir, 'keys/lab'));
    expect(connection.knownHostsFile).toBe(path.join(path.dirname(dir), 'shared/known_hosts'));
  });

  it('takes a relative path set in group_vars/ or host_vars/ from the inventory folder, not from theirs', async () => {
    const { dir, connection } = await connectionIn({
      'hosts.yaml': yamlLines('all:', '  hosts:', '    h: {}'),
      'group_vars/all/ssh.yml': yamlLines('known_hosts_file: .lab/known_hosts'),
      'host_vars/h.yml': yamlLines('ansible_ssh_private_key_file: keys/h'),
    });
    expect(connection.knownHostsFile).toBe(path.join(dir, '.lab/known_hosts'));
    expect(connection.privateKeyFile).toBe(path.join(dir, 'keys/h'));
  });

  it('takes a relative path of the extra vars from the working directory; keeps an absolute one', async () => {
    const { connection } = await connectionIn(
      { 'hosts.yaml': yamlLines('all:', '  hosts:', '    h: { known_hosts_file: /etc/ssh/ssh_known_hosts }') },
      { ansible_ssh_private_key_file: 'keys/ci' },
    );
    expect(connection.privateKeyFile).toBe(path.resolve('keys/ci'));
    expect(connection.knownHostsFile).toBe('/etc/ssh/ssh_known_hosts');
  });

  it('refuses ~user (another user\'s home) with the file and key', async () => {
    expect(await loadError({ 'hosts.yaml': yamlLines('all:', '  hosts:', '    h: { key_file: ~ops/.ssh/lab }') })).toBe(
      'hosts.yaml:3:10: all.hosts.h.key_file: "~ops/.ssh/lab": only ~ and ~/… (your own home directory) are expanded: write the full path',
    );
  });
});

describe('accept-new with known_hosts_file: ~/…', () => {
  const server = useSshd();
  const home = mkdtempSync(path.join(tmpdir(), 'lw-home-'));
  const savedHome = process.env.HOME;
  afterEach(async () => {
    process.env.HOME = savedHome;
    await rm(home, { recursive: true, force: true });
  });

  // The old code created ./~/.ssh/labwright_known_hosts in the working directory.
  it('records the host key under the home directory, not in a folder named ~', async () => {
    process.env.HOME = home;
    const { connection } = await connectionIn({
      'hosts.yaml': yamlLines(
        'all:',
        '  hosts:',
        `    h: { ansible_host: 127.0.0.1, ansible_port: ${server.sshd.port}, ansible_user: ${server.user}, ` +
          `key_file: ${server.sshd.clientKeyFile}, host_key_checking: accept-new, known_hosts_file: ~/.ssh/labwright_known_hosts }`,
      ),
    });
    const conn = connect('h', connection);
    try {
      expect((await conn.exec(sh`echo in`)).stdout).toBe('in\n');
    } finally {
      await conn.close();
    }
    expect(readFileSync(path.join(home, '.ssh/labwright_known_hosts'), 'utf8')).toContain(`[127.0.0.1]:${server.sshd.port} `);
    expect(existsSync(path.resolve('~'))).toBe(false);
  });
});

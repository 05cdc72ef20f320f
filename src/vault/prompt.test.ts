import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../test/support/on-path.js';
import { readSecretOptions } from '../cli/vault-options.js';
import { VaultKeyring } from './keyring.js';
import type { Terminal } from './prompt.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cliMain = path.join(root, 'test/support/cli-main.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const PASSWORD = 'typed vault password';

let dir: string;
let inventory: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'labwright-vault-prompt-'));
  inventory = path.join(dir, 'hosts.yml');
  const data = new VaultKeyring([{ id: 'default', password: Buffer.from(PASSWORD) }]).encrypt('all:\n  hosts:\n    gw1: {}\n');
  await writeFile(inventory, data);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('--ask-vault-pass and -K', () => {
  it('asks for each password once, in Ansible\'s order and with its prompts', () => {
    const asked: string[] = [];
    const terminal: Terminal = {
      askHidden: (prompt) => {
        asked.push(prompt);
        return prompt.startsWith('BECOME') ? 'sudo password' : ` ${PASSWORD} `;
      },
    };
    const { vault, becomePassword } = readSecretOptions({ 'vault-id': ['lab@prompt'], 'ask-vault-pass': true, 'ask-become-pass': true }, {}, terminal);
    expect(asked).toEqual(['Vault password (lab): ', 'Vault password: ', 'BECOME password: ']);
    expect(vault.secrets.map((s) => [s.id, s.password.toString()])).toEqual([
      ['lab', PASSWORD],
      ['default', PASSWORD],
    ]);
    expect(becomePassword?.reveal()).toBe('sudo password');
    expect(String(becomePassword)).toBe('********');
  });

  it('without a terminal (setsid: no controlling tty): exit 5 naming the flag, nothing read from stdin', async () => {
    const child = spawn('setsid', ['-w', tsx, cliMain, '-i', inventory, '--list-hosts', '--ask-vault-pass'], { cwd: root });
    child.stdin.end(`${PASSWORD}\n`);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toContain('ERROR: --ask-vault-pass: there is no terminal to ask for the password on');
    expect(code).toBe(5);
  });

  it.skipIf(!findOnPath('script'))('on a terminal: prompts, reads without echo, and decrypts', async () => {
    const command = [tsx, cliMain, '-i', inventory, '--list-hosts', '--ask-vault-pass'].map((arg) => `'${arg}'`).join(' ');
    // `script` runs the command on a new pseudo-terminal; what it reads from its stdin is typed into it.
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      const proc = spawn('script', ['-qec', command, '/dev/null'], { cwd: root });
      let stdout = '';
      let typed = false;
      proc.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Vault password: ') && !typed) {
          typed = true;
          proc.stdin.write(`${PASSWORD}\n`);
        }
      });
      proc.on('close', (code) => resolve({ code: code ?? -1, stdout }));
    });
    expect(result.stdout).toContain('Vault password: ');
    expect(result.stdout).not.toContain(PASSWORD);
    expect(result.code).toBe(0);
  });
});

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/io.js';
import { runLabwright } from './labwright.js';

/**
 * `labwright exec`: ad-hoc commands through the engine, on hosts with
 * `ansible_connection: local` (each "host" is this machine), and one ssh host
 * on a loopback port nothing answers on (unreachable).
 */
let dir: string;
let inventory: string;
/** A loopback port that refuses connections: a listener opened and closed again. */
let closedPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lw-exec-'));
  closedPort = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `all:
  vars: { ansible_connection: local, labwright_state_dir: ${dir}/state }
  children:
    web:
      hosts: { w1: , w2: , w3: }
    db:
      hosts:
        d1: { api_token: !secret exec-test-token-9Qz }
    gone:
      hosts:
        far: { ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: ${closedPort}, ansible_user: nobody, ansible_ssh_timeout: 5 }
`,
  );
});


async function labwright(...argv: string[]) {
  const io = captureIo();
  const code = await runLabwright(['exec', ...argv], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('labwright exec PATTERN -- COMMAND', () => {
  it('runs the command once on each host of the pattern (not on others) and shows each host its stdout, then the recap; exit 0', async () => {
    const log = join(dir, 'ran-web');
    const { code, stdout, stderr } = await labwright('web', '-i', inventory, '--', `echo line >> ${log}; echo hello; echo there`);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(readFileSync(log, 'utf8')).toBe('line\nline\nline\n');
    expect(stdout).toContain('stdout: hello\n');
    expect(stdout).toContain('stdout: there\n');
    expect(stdout).toContain('PLAY RECAP');
    for (const host of ['w1', 'w2', 'w3']) expect(stdout).toMatch(new RegExp(`${host}\\s+: ok=0\\s+changed=1\\s+unreachable=0\\s+failed=0`));
    expect(stdout).not.toMatch(/^d1 /m);
  });

  it('several words after -- are one shell command line, as ansible -a gives it', async () => {
    const { code, stdout } = await labwright('d1', '-i', inventory, '--', 'printf', '%s-%s\\n', 'a', 'b', '|', 'tr', 'a-z', 'A-Z');
    expect(code).toBe(0);
    expect(stdout).toContain('stdout: A-B');
  });

  it('--limit narrows the pattern', async () => {
    const log = join(dir, 'ran-limit');
    const { code, stdout } = await labwright('web', '-i', inventory, '--limit', 'w2', '--', `echo x >> ${log}`);
    expect(code).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe('x\n');
    expect(stdout).toMatch(/w2\s+: ok=0\s+changed=1/);
    expect(stdout).not.toMatch(/^w1 /m);
  });

  it('masks a secret of the inventory in the command output (text and --json)', async () => {
    const file = join(dir, 'token.txt');
    writeFileSync(file, 'token=exec-test-token-9Qz\n');
    const text = await labwright('d1', '-i', inventory, '--', `cat ${file}`);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('stdout: token=********');
    const json = await labwright('d1', '-i', inventory, '--json', '--', `cat ${file}`);
    expect(json.stdout + text.stdout).not.toContain('exec-test-token-9Qz');
    expect(JSON.parse(json.stdout).events.find((e: { type: string }) => e.type === 'host:result').stdout).toBe('token=********\n');
  });

  it('--check runs nothing and says the command would run (not predictable); exit 0', async () => {
    const marker = join(dir, 'check-marker');
    const { code, stdout } = await labwright('web', '-i', inventory, '--check', '--', `touch ${marker}`);
    expect(code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(stdout).toContain('(check mode)');
    expect(stdout).toContain('would run (not predictable): [');
    expect(stdout).toContain(`- run: touch ${marker}`);
  });

  it('a command failing on one host: that host is failed with command, exit code, stdout and stderr; the others ran; exit 2', async () => {
    const once = join(dir, 'once');
    // -f 1: w1 makes the directory, w2 and w3 find it there
    const { code, stdout } = await labwright('web', '-i', inventory, '-f', '1', '--', `echo trying; mkdir ${once}`);
    expect(code).toBe(2);
    expect(stdout).toMatch(/w1\s+: ok=0\s+changed=1\s+unreachable=0\s+failed=0/);
    expect(stdout).toMatch(/w2\s+: ok=0\s+changed=0\s+unreachable=0\s+failed=1/);
    expect(stdout).toContain('failed: [w2]');
    expect(stdout).toContain(`command: echo trying; mkdir ${once}`);
    expect(stdout).toContain('exit code: 1');
    expect(stdout).toMatch(/stderr: mkdir: .*File exists/);
    expect(stdout).toMatch(/failed: \[w2\][^]*stdout: trying/);
  });

  it('an unreachable host: exit 3, the reachable host ran and its output is shown', async () => {
    const { code, stdout } = await labwright('d1:far', '-i', inventory, '--', 'echo still-here');
    expect(code).toBe(3);
    expect(stdout).toContain('unreachable: [far]');
    expect(stdout).toMatch(/changed: \[d1\][^]*stdout: still-here/);
    expect(stdout).toMatch(/far\s+: ok=0\s+changed=0\s+unreachable=1/);
  });

  it('-b --become-user runs the command through sudo as that user', async () => {
    const { code, stdout } = await labwright('d1', '-i', inventory, '-b', '--become-user', 'nobody', '--', 'id -un');
    expect(code).toBe(0);
    expect(stdout).toContain('stdout: nobody');
  });

  it('-e sets host vars of the run (labwright_command_timeout=1: a longer command is stopped and the host failed)', async () => {
    const { code, stdout } = await labwright('d1', '-i', inventory, '-e', 'labwright_command_timeout=1', '--', 'sleep 5');
    expect(code).toBe(2);
    expect(stdout).toContain('d1: command timed out after 1s: sleep 5');
  });

  it('--json: one document, each host result with its stdout, and the recap', async () => {
    const { code, stdout } = await labwright('web', '-i', inventory, '--json', '--', 'echo json-out');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    const results = doc.events.filter((e: { type: string }) => e.type === 'host:result');
    expect(results.map((r: { host: string }) => r.host).sort()).toEqual(['w1', 'w2', 'w3']);
    for (const r of results) expect(r).toMatchObject({ status: 'changed', stdout: 'json-out\n' });
    expect(doc.recap.hosts.w1).toMatchObject({ changed: 1, failed: 0 });
  });
});

describe('labwright exec --fact', () => {
  it('prints a typed fact of each host as one JSON object keyed by host name', async () => {
    const { code, stdout, stderr } = await labwright('w1:d1', '-i', inventory, '--fact', 'interfaces');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const facts = JSON.parse(stdout);
    expect(Object.keys(facts)).toEqual(['w1', 'd1']);
    const lo = facts.w1.find((i: { ifname: string }) => i.ifname === 'lo');
    expect(lo.addresses).toContainEqual({ family: 'inet', local: '127.0.0.1', prefixlen: 8 });
  });

  it('a fact with an argument (NAME=ARG)', async () => {
    const { code, stdout } = await labwright('d1', '-i', inventory, '--fact', `exists=${dir}`);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ d1: true });
  });

  it('an unreachable host is left out of the JSON and told on stderr; exit 3', async () => {
    const { code, stdout, stderr } = await labwright('d1:far', '-i', inventory, '--fact', 'os');
    expect(code).toBe(3);
    expect(Object.keys(JSON.parse(stdout))).toEqual(['d1']);
    expect(JSON.parse(stdout).d1.id).not.toBe('');
    expect(stderr).toContain('unreachable: [far]');
  });
});

describe('labwright exec: mistakes', () => {
  it.each([
    ['no pattern', ['-i', 'INV', '--', 'true'], /no PATTERN given/],
    ['no command', ['all', '-i', 'INV'], /no command given/],
    ['an empty command', ['all', '-i', 'INV', '--', ' '], /no command given/],
    ['a fact and a command', ['all', '-i', 'INV', '--fact', 'os', '--', 'true'], /either --fact NAME or a command/],
    ['an unknown fact', ['all', '-i', 'INV', '--fact', 'nosuch'], /no fact named "nosuch"/],
    ['a fact without its argument', ['all', '-i', 'INV', '--fact', 'sysctl'], /sysctl needs an argument: --fact sysctl=KEY/],
    ['no inventory', ['all', '--', 'true'], /-i\/--inventory/],
    ['bad forks', ['all', '-i', 'INV', '-f', '0', '--', 'true'], /-f\/--forks/],
    ['an unknown flag', ['all', '-i', 'INV', '--frobnicate', '--', 'true'], /frobnicate/],
    ['a pattern matching no host', ['nosuch', '-i', 'INV', '--', 'true'], /pattern "nosuch" matches no host[^]*groups: web, db, gone/],
    ['words before --', ['all', 'uptime', '-i', 'INV'], /unexpected argument "uptime": the command goes after --/],
  ])('%s: exit 5 with a message', async (_name, argv, message) => {
    const { code, stdout, stderr } = await labwright(...argv.map((a) => (a === 'INV' ? inventory : a)));
    expect({ code, stdout }).toEqual({ code: 5, stdout: '' });
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain('unexpected, please report');
  });

  it('a broken inventory: exit 4 naming the file', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'all:\n  hosts: [oops\n');
    const { code, stderr } = await labwright('all', '-i', bad, '--', 'true');
    expect(code).toBe(4);
    expect(stderr).toContain('bad.yaml');
  });

  it('--help describes the command', async () => {
    const { code, stdout } = await labwright('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('usage: labwright exec PATTERN -i INVENTORY [options] -- COMMAND');
    expect(stdout).toContain('--fact NAME[=ARG]');
  });
});

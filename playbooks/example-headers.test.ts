import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { main, type Io } from '../src/cli/main.js';
import { macLabMain } from '../roles/mac-lab/main.js';
import { wakeMain } from '../roles/wol/wake.js';
import { site } from './site.js';
import { captureIo } from '../test/support/io.js';

/**
 * Every command an example inventory's header tells the reader to run works
 * as written, in its offline form: `--plan`, `--emit-inventory` and
 * `--list-hosts` as they are; a wake in check mode (which sends no packet);
 * anything else with `--list-hosts` instead of `--check`/`--diff` (those would
 * contact the hosts, or sudo on this machine). No host, and no address of the
 * examples' LANs, is contacted.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const INVENTORY = join(ROOT, 'inventory');
const files = ['home.yaml', ...readdirSync(join(INVENTORY, 'examples')).map((f) => `examples/${f}`)];

/** What each playbook file runs (checked against the file's text below): the same entry points, in this process. */
const PLAYBOOKS: Record<string, { call: string; run: (argv: string[], io: Io) => Promise<number> }> = {
  'playbooks/site.ts': { call: 'runPlaybook(site)', run: (argv, io) => main(site, argv, io) },
  'playbooks/wake.ts': { call: 'wakeMain(process.argv.slice(2))', run: (argv, io) => wakeMain(argv, io) },
  'playbooks/mac-lab.ts': { call: 'macLabMain(process.argv.slice(2))', run: (argv, io) => macLabMain(argv, io) },
};

/** The header's commands: `npx tsx playbooks/X.ts ARGS` in the leading comment lines (a trailing `# …` is a remark). */
function headerCommands(file: string): { playbook: string; argv: string[] }[] {
  const header = readFileSync(join(INVENTORY, file), 'utf8').split('\n');
  const comments = header.slice(0, header.findIndex((l) => !l.startsWith('#')));
  return comments.flatMap((line) => {
    const m = /npx tsx (playbooks\/[\w-]+\.ts)((?: +[^#\s]\S*)*)/.exec(line);
    return m ? [{ playbook: m[1]!, argv: m[2]!.trim().split(/ +/) }] : [];
  });
}

function offline(playbook: string, argv: string[]): string[] {
  if (argv.some((a) => ['--plan', '--emit-inventory', '--list-hosts'].includes(a))) return argv;
  if (playbook === 'playbooks/wake.ts') return [...argv, '--check'];
  return [...argv.filter((a) => a !== '--check' && a !== '--diff'), '--list-hosts'];
}

const commands = files.flatMap((file) => headerCommands(file).map((c) => ({ file, ...c, offline: offline(c.playbook, c.argv) })));

/** `ip` answering as if the controller had an address on `cidr` (the wake's on-link check reads `ip -j addr show`). */
function fakeIpOn(address: string, prefixlen: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'lw-fake-ip-'));
  const json = JSON.stringify([
    { ifindex: 1, ifname: 'lo', mtu: 65536, operstate: 'UNKNOWN', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifindex: 2, ifname: 'eth0', mtu: 1500, operstate: 'UP', addr_info: [{ family: 'inet', local: address, prefixlen }] },
  ]);
  writeFileSync(join(dir, 'ip'), `#!/bin/sh\nprintf '%s\\n' '${json}'\n`);
  chmodSync(join(dir, 'ip'), 0o755);
  return dir;
}

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

describe('example inventory headers', () => {
  it('name only playbooks this test knows, each running the entry point it is mapped to', () => {
    expect(commands.length).toBeGreaterThanOrEqual(files.length);
    for (const c of commands) {
      expect(Object.keys(PLAYBOOKS), `${c.file}: ${c.playbook}`).toContain(c.playbook);
      expect(readFileSync(join(ROOT, c.playbook), 'utf8')).toContain(PLAYBOOKS[c.playbook]!.call);
    }
  });

  it.each(commands.map((c) => [`${c.file}: ${c.playbook} ${c.offline.join(' ')}`, c] as const))('%s', async (_name, c) => {
    const io = captureIo();
    if (c.playbook === 'playbooks/wake.ts') {
      // the controller on the example's LAN, as the reader's is: the check lists the packets and sends none
      const lan = (parseYaml(readFileSync(join(INVENTORY, c.file), 'utf8')) as { all: { vars: { lan: { subnet: string } } } }).all.vars.lan.subnet;
      const [net, prefix] = lan.split('/');
      process.env.PATH = `${fakeIpOn(net!.replace(/\.0$/, '.250'), Number(prefix))}:${PATH}`;
    }
    const code = await PLAYBOOKS[c.playbook]!.run(c.offline.map((a) => (a.startsWith('inventory/') ? join(ROOT, a) : a)), io);
    expect(code, io.stdout + io.stderr).toBe(0);
    if (c.offline.includes('--plan')) expect(io.stdout).toContain('address plan: no conflicts');
    if (c.playbook === 'playbooks/wake.ts') {
      expect(io.stdout).toMatch(/magic packet for storagenodet3500 \(b8:ac:6f:7e:6c:9d\): 102 bytes to 192\.168\.4\.255:9 from the controller/);
      expect(io.stdout).toMatch(/magic packet for homelab \(d0:94:66:30:d6:63\): 102 bytes to 192\.168\.4\.255:9 from the controller/);
    }
    if (c.offline.includes('--emit-inventory')) {
      const written = parseYaml(readFileSync(join(INVENTORY, 'examples/harder-way-macos.yaml'), 'utf8')) as unknown;
      expect(parseYaml(io.stdout)).toEqual(written);
    }
  });
});

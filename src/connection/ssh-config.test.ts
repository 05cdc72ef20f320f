import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProxyJump, proxyCommandHop } from './proxy.js';
import { parseSshArgv, shellWords } from './ssh-args.js';
import { SshConfigFiles } from './ssh-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'labwright-sshcfg-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const lookup = async (text: string, host: string) => {
  const file = join(dir, 'config');
  await writeFile(file, text);
  const found = new SshConfigFiles().lookup(file, host);
  return Object.fromEntries([...found.values].map(([k, v]) => [k, v.value]));
};

describe('ssh_config lookup', () => {
  it('Match host / all apply; Match exec is never run and does not apply', async () => {
    const marker = join(dir, 'ran');
    const text = `Match exec "touch ${marker}"\n  User from-exec\nMatch host db*\n  User from-match\nMatch all\n  Port 2222\n`;
    expect(await lookup(text, 'db1')).toEqual({ user: 'from-match', port: '2222' });
    expect(existsSync(marker)).toBe(false);
  });

  it('the first of ProxyJump and ProxyCommand wins, as ssh', async () => {
    expect(await lookup('Host a\n  ProxyCommand ssh -W %h:%p b\n  ProxyJump c\n', 'a')).toEqual({ proxycommand: 'ssh -W %h:%p b' });
    expect(await lookup('Host a\n  ProxyJump c\nHost *\n  ProxyCommand ssh -W %h:%p b\n', 'a')).toEqual({ proxyjump: 'c' });
  });

  it('host patterns ignore case; ? is one character', async () => {
    expect(await lookup('Host GW?\n  User x\n', 'gw1')).toEqual({ user: 'x' });
    expect(await lookup('Host gw?\n  User x\n', 'gw')).toEqual({});
  });
});

describe('ssh command lines', () => {
  it('splits like a shell and reads bundled options', () => {
    expect(shellWords(`-o 'ProxyCommand=ssh -W %h:%p "b c"' -oUser=x -p2222`)).toEqual(['-o', 'ProxyCommand=ssh -W %h:%p "b c"', '-oUser=x', '-p2222']);
    expect(parseSshArgv(['-qo', 'User=x', '-p2222', '-C', '-o', 'ControlPersist=60s']).options).toEqual([
      { keyword: 'user', value: 'x' },
      { keyword: 'port', value: '2222' },
    ]);
  });

  it('reads ProxyJump lists, ssh:// and IPv6 entries; none is no jump', () => {
    expect(parseProxyJump('a,ops@b:2200,ssh://c@[2001:db8::1]:22').map((h) => h.target)).toEqual([
      { host: 'a', text: 'a' },
      { user: 'ops', host: 'b', port: 2200, text: 'ops@b:2200' },
      { user: 'c', host: '2001:db8::1', port: 22, text: 'ssh://c@[2001:db8::1]:22' },
    ]);
    expect(parseProxyJump('none')).toEqual([]);
    expect(() => parseProxyJump('a:99999')).toThrow('"a:99999" is not a jump host');
  });

  it('a ProxyCommand that runs ssh -W %h:%p is a jump; one that forwards elsewhere or runs another program is refused', () => {
    expect(proxyCommandHop('ssh bastion -W [%h]:%p -l ops')?.target).toMatchObject({ host: 'bastion' });
    expect(proxyCommandHop('ssh bastion -W [%h]:%p -l ops')?.args.options).toEqual([{ keyword: 'user', value: 'ops' }]);
    expect(proxyCommandHop('none')).toBeUndefined();
    expect(() => proxyCommandHop('ssh -W %h:%p')).toThrow('no bastion host in it');
    expect(() => proxyCommandHop('ssh bastion sh -c "nc %h %p | tee log"')).toThrow('neither forwards with -W %h:%p nor runs nc %h %p');
    expect(() => proxyCommandHop('cloudflared access ssh --hostname %h')).toThrow('it does not run ssh');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliOptions, parseExtraVars } from './options.js';

describe('command-line options', () => {
  it('reads Ansible-style flags, repeatable and comma lists', () => {
    const o = parseCliOptions(['-i', 'a.yaml', '-i', 'b.yaml', '-C', '-D', '-t', 'dnsmasq,haproxy', '--tags', 'keepalived', '--skip-tags', 'never', '-l', 'gateways:!gw2', '-f', '20', '-vv', '--json']);
    expect(o).toMatchObject({
      inventory: ['a.yaml', 'b.yaml'], check: true, diff: true, tags: ['dnsmasq', 'haproxy', 'keepalived'], skipTags: ['never'], limit: 'gateways:!gw2', forks: 20, verbose: 2, json: true,
    });
  });

  it('connection flags: -u, --private-key (~ and relative paths made absolute), -b, --become-user; unset by default', () => {
    expect(parseCliOptions(['-i', 'x', '-u', 'pi', '--private-key', '~/.ssh/lab', '-b', '--become-user', 'svc'])).toMatchObject({
      user: 'pi', privateKeyFile: join(homedir(), '.ssh/lab'), become: true, becomeUser: 'svc',
    });
    expect(parseCliOptions(['-i', 'x', '--private-key', 'keys/lab']).privateKeyFile).toBe(join(process.cwd(), 'keys/lab'));
    const none = parseCliOptions(['-i', 'x']);
    expect([none.user, none.privateKeyFile, none.become, none.becomeUser]).toEqual([undefined, undefined, undefined, undefined]);
    expect(() => parseCliOptions(['-i', 'x', '-u', ''])).toThrow(expect.objectContaining({ exitCode: 5, message: expect.stringContaining('-u/--user') }));
    expect(() => parseCliOptions(['-i', 'x', '--private-key', ''])).toThrow(expect.objectContaining({ exitCode: 5, message: expect.stringContaining('--private-key') }));
  });

  it('refuses what it cannot use, naming the flag (exit 5)', () => {
    expect(() => parseCliOptions([])).toThrow(expect.objectContaining({ exitCode: 5, message: expect.stringContaining('-i/--inventory: at least one') }));
    expect(() => parseCliOptions(['-i', 'x', '-f', '0'])).toThrow(/-f\/--forks/);
    expect(() => parseCliOptions(['-i', 'x', '--nope'])).toThrow(expect.objectContaining({ exitCode: 5 }));
    // a picture of the plan with a listing, which makes no plan: refused rather than silently not drawn
    expect(() => parseCliOptions(['-i', 'x', '--list-hosts', '--html', 'p.html'])).toThrow(expect.objectContaining({ exitCode: 5, message: '--html draws the address plan, which --list-hosts does not make' }));
    expect(() => parseCliOptions(['-i', 'x', '--svg', 'p.svg', '--list-tasks'])).toThrow(expect.objectContaining({ exitCode: 5, message: '--svg draws the address plan, which --list-tasks does not make' }));
    expect(() => parseCliOptions(['-i', 'x', '--list-tags', '--html', 'p.html'])).toThrow(expect.objectContaining({ exitCode: 5, message: '--html draws the address plan, which --list-tags does not make' }));
    expect(parseCliOptions(['-i', 'x', '--plan', '--html', 'p.html', '--svg', 'p.svg'])).toMatchObject({ plan: true, html: 'p.html', svg: 'p.svg' });
  });

  it('extra vars: k=v typed as YAML scalars, quoted strings stay strings, mappings, @file', () => {
    expect(parseExtraVars('replicas=3 debug=true name=gw1 empty= quoted="a b" on=on')).toEqual({ replicas: 3, debug: true, name: 'gw1', empty: '', quoted: 'a b', on: 'on' });
    expect(parseExtraVars('{dnsmasq: {domain: lab.example}}')).toEqual({ dnsmasq: { domain: 'lab.example' } });
    const file = join(mkdtempSync(join(tmpdir(), 'lw-ev-')), 'vars.yaml');
    writeFileSync(file, 'keepalived:\n  vip: 10.0.0.10\n');
    expect(parseExtraVars(`@${file}`)).toEqual({ keepalived: { vip: '10.0.0.10' } });
    expect(() => parseExtraVars('@/nonexistent.yaml')).toThrow('-e @/nonexistent.yaml: /nonexistent.yaml: cannot read: file not found');
    expect(() => parseExtraVars('not a pair')).toThrow(/expected key=value pairs/);
  });
});

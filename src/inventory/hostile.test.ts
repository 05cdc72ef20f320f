/**
 * Hostile or broken inventory and command-line input: exit 4 (inventory) or
 * 5 (options) with one message naming the file, never "ERROR (unexpected)",
 * never a stack trace, never a hang or a run out of memory.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { site } from '../../playbooks/site.js';
import { captureIo } from '../../test/support/io.js';
import { main } from '../cli/main.js';
import { cannotRead, MAX_FILE_BYTES } from './read-text.js';
import { writeTree, yamlLines } from './fixtures/tree.js';

const HOSTS = yamlLines('all:', '  hosts:', '    h1:');

/** `--list-hosts` of the site playbook with `args` in a tree of `files` (run `prepare` on the tree first); paths in stderr relative. */
async function run(files: Record<string, string>, args: string[] = [], prepare?: (dir: string) => void) {
  const dir = await writeTree(files);
  prepare?.(dir);
  const io = captureIo();
  const argv = ['-i', path.join(dir, 'hosts.yaml'), ...args.map((a) => a.replaceAll('DIR', dir)), '--list-hosts'];
  const code = await main(site, argv, io);
  const stderr = io.stderr.replaceAll(dir + path.sep, '');
  expect(stderr).not.toMatch(/unexpected|\n {4}at /);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  return { code, stderr: stderr.trim() };
}

describe('hostile inventories are exit 4 with one message naming the file', () => {
  it('a group that contains itself through an anchor', async () => {
    expect(await run({ 'hosts.yaml': 'all: &x {children: {g: *x}}\n' })).toEqual({
      code: 4,
      stderr: 'ERROR: hosts.yaml:1:24: all.children.g: alias *x refers to a node that contains it: the value would be endless',
    });
  });

  it('a mapping that merges itself (<<: *x inside x)', async () => {
    expect(await run({ 'hosts.yaml': yamlLines('all: &x', '  hosts:', '    h1:', '  vars:', '    <<: *x') })).toEqual({
      code: 4,
      stderr: 'ERROR: hosts.yaml:5:9: all.vars.<<: alias *x refers to a node that contains it: the value would be endless',
    });
  });

  it('an alias with no anchor before it (was: ReferenceError, found by the fuzz test)', async () => {
    expect(await run({ 'hosts.yaml': yamlLines('all:', '  hosts:', '    h1: { a: *nowhere }') })).toEqual({
      code: 4,
      stderr: 'ERROR: hosts.yaml:3:14: all.hosts.h1.a: alias *nowhere has no anchor &nowhere before it',
    });
  });

  it('an alias bomb (billion laughs) in a vars file', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const [prev, name] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const { code, stderr } = await run({ 'hosts.yaml': HOSTS, 'group_vars/all.yaml': yamlLines(...levels) });
    expect(code).toBe(4);
    expect(stderr).toMatch(/^ERROR: group_vars\/all\.yaml: its aliases expand \d+ written values to \d+: refused as an alias bomb/);
  });

  it('a dangling symbolic link in group_vars/', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': HOSTS }, [], (dir) => {
      mkdirSync(path.join(dir, 'group_vars'));
      symlinkSync('/nonexistent/all.yaml', path.join(dir, 'group_vars', 'all.yaml'));
    });
    expect({ code, stderr }).toEqual({ code: 4, stderr: 'ERROR: group_vars/all.yaml: cannot read: a symbolic link to /nonexistent/all.yaml, which does not exist' });
  });

  it('a FIFO where a vars file is expected (reading it would block for ever)', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': HOSTS }, [], (dir) => {
      mkdirSync(path.join(dir, 'host_vars'));
      execFileSync('mkfifo', [path.join(dir, 'host_vars', 'h1.yaml')]);
    });
    expect({ code, stderr }).toEqual({ code: 4, stderr: 'ERROR: host_vars/h1.yaml: cannot read: not a regular file (a pipe, socket or device)' });
  });

  it('a link to /dev/zero (reading it would never end)', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': HOSTS }, [], (dir) => {
      mkdirSync(path.join(dir, 'group_vars'));
      symlinkSync('/dev/zero', path.join(dir, 'group_vars', 'all.yml'));
    });
    expect({ code, stderr }).toEqual({ code: 4, stderr: 'ERROR: group_vars/all.yml: cannot read: not a regular file (a pipe, socket or device)' });
  });

  it('a huge file is refused before it is read', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': HOSTS }, [], (dir) => truncateSync(path.join(dir, 'hosts.yaml'), MAX_FILE_BYTES + 1));
    expect({ code, stderr }).toEqual({
      code: 4,
      stderr: `ERROR: hosts.yaml: cannot read: ${MAX_FILE_BYTES + 1} bytes, more than the ${MAX_FILE_BYTES} an inventory or vars file may have`,
    });
  });

  it('binary garbage', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': HOSTS }, [], (dir) => {
      writeFileSync(path.join(dir, 'hosts.yaml'), Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7919) % 256)));
    });
    expect(code).toBe(4);
    expect(stderr).toMatch(/^ERROR: hosts\.yaml:\d+:\d+: not UTF-8 text \(byte 0x[0-9A-F]{2}\): save the file as UTF-8$/);
  });

  it('a Latin-1 file (was read with U+FFFD in the host name)', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': HOSTS }, [], (dir) => {
      writeFileSync(path.join(dir, 'hosts.yaml'), Buffer.from('all:\n  hosts:\n    k\xf6ln:\n', 'latin1'));
    });
    expect({ code, stderr }).toEqual({ code: 4, stderr: 'ERROR: hosts.yaml:3:6: not UTF-8 text (byte 0xF6): save the file as UTF-8' });
  });

  it('a long garbage value is shown cut short', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': `all: ${'x'.repeat(5000)}\n` });
    expect(code).toBe(4);
    expect(stderr).toBe(`ERROR: hosts.yaml:1:1: all: expected a mapping with hosts, children or vars, got "${'x'.repeat(77)}"... (5000 characters)`);
  });

  it('permission denied is named (tests run as root: the error is made)', () => {
    const denied = Object.assign(new Error("EACCES: permission denied, open 'x.yaml'"), { code: 'EACCES' });
    expect(cannotRead('x.yaml', denied).message).toBe('x.yaml: cannot read: permission denied');
    expect(cannotRead('x.yaml', denied).exitCode).toBe(4);
  });
});

describe('secrets shorter than 4 characters are exit 4 naming file:line:col and key path', () => {
  it('tagged !secret', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': yamlLines('all:', '  hosts:', '    h1:', '      token: !secret abc') });
    expect({ code, stderr }).toEqual({
      code: 4,
      stderr: expect.stringMatching(/^ERROR: hosts\.yaml:4:14: all\.hosts\.h1\.token: a secret of 3 character\(s\) is refused: /) as unknown as string,
    });
  });

  it('a password the connection settings make a secret', async () => {
    const { code, stderr } = await run({ 'hosts.yaml': yamlLines('all:', '  hosts:', '    h1:', '      ansible_password: ab') });
    expect({ code, stderr }).toEqual({
      code: 4,
      stderr: expect.stringMatching(/^ERROR: hosts\.yaml:4:7: all\.hosts\.h1\.ansible_password: a secret of 2 character\(s\) is refused: /) as unknown as string,
    });
  });
});

describe('bad -e values are exit 5 with one message', () => {
  it('malformed YAML', async () => {
    expect(await run({ 'hosts.yaml': HOSTS }, ['-e', '{a: [}'])).toEqual({
      code: 5,
      stderr: 'ERROR: -e "{a: [}":1:6: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    });
  });

  it('a k=v value that is not YAML', async () => {
    expect(await run({ 'hosts.yaml': HOSTS }, ['-e', 'a=[1'])).toEqual({ code: 5, stderr: 'ERROR: -e "a=[1": [1 is not a YAML value (quote it to pass it as a string)' });
    expect(await run({ 'hosts.yaml': HOSTS }, ['-e', 'a=!vault'])).toEqual({ code: 5, stderr: 'ERROR: -e "a=!vault": !vault is not a YAML value (quote it to pass it as a string)' });
    expect(await run({ 'hosts.yaml': HOSTS }, ['-e', 'a=*x'])).toEqual({ code: 5, stderr: 'ERROR: -e "a=*x": *x is not a YAML value (quote it to pass it as a string)' });
  });

  it('@file: a directory, a missing file, an alias bomb, a self-referencing anchor', async () => {
    const files = { 'hosts.yaml': HOSTS, 'loop.yaml': 'a: &x {b: *x}\n', 'bomb.yaml': yamlLines('a: &a [1,1,1,1,1,1,1,1,1,1]', ...Array.from({ length: 6 }, (_, i) => `${'bcdefg'[i]}: &${'bcdefg'[i]} [${Array(10).fill(`*${'abcdef'[i]}`).join(',')}]`)) };
    expect(await run(files, ['-e', '@DIR'])).toMatchObject({ code: 5, stderr: expect.stringMatching(/^ERROR: -e @.*: cannot read: is a directory, expected a file$/) });
    expect(await run(files, ['-e', '@DIR/none.yaml'])).toMatchObject({ code: 5, stderr: expect.stringMatching(/^ERROR: -e @.*none\.yaml: .*none\.yaml: cannot read: file not found$/) });
    expect(await run(files, ['-e', '@DIR/bomb.yaml'])).toMatchObject({ code: 5, stderr: expect.stringMatching(/refused as an alias bomb/) });
    expect(await run(files, ['-e', '@DIR/loop.yaml'])).toMatchObject({ code: 5, stderr: expect.stringMatching(/loop\.yaml:1:11: a\.b: alias \*x refers to a node that contains it/) });
  });
});

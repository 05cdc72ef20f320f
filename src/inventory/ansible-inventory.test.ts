import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { ansibleEnvironment, ansibleInventoryBin } from '../../test/support/ansible.js';
import { PRECEDENCE_CASES } from './fixtures/precedence-cases.js';
import { loadInventory, type Vars } from './index.js';

/*
 * Compares the variables labwright gives each host with those of real Ansible
 * (`ansible-inventory --list`, which merges them like a play does) on the same
 * files: every case of fixtures/precedence-cases.ts and the fixture directories.
 */

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

const ansibleInventory = ansibleInventoryBin;
const skipReason =
  'ansible-inventory is not on PATH: the variables are not compared with real Ansible (install ansible-core to do so)';
if (!ansibleInventory) console.warn(`SKIPPED ${path.basename(fileURLToPath(import.meta.url))}: ${skipReason}`);

let scratch: string;
let ansibleEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'labwright-ansible-'));
  await writeFile(path.join(scratch, 'ansible.cfg'), '');
  ansibleEnv = ansibleEnvironment(scratch, 'yaml');
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Writes `files` into a new directory of the scratch directory; returns it. */
async function writeFiles(name: string, files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await mkdtemp(path.join(scratch, `${name.replace(/\W+/g, '-').slice(0, 40)}-`));
  for (const [relative, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
    await writeFile(path.join(dir, relative), text);
  }
  return dir;
}

/** The variables of every host according to `ansible-inventory --list` (hosts without any are left out by it). */
async function ansibleHostVars(
  inventories: readonly string[],
  extraVars: Vars | undefined,
): Promise<Record<string, Vars>> {
  const args = [...inventories.flatMap((file) => ['-i', file]), '--list'];
  if (extraVars) args.push('-e', JSON.stringify(extraVars));
  const { stdout } = await promisify(execFile)(ansibleInventory!, args, {
    env: ansibleEnv,
    cwd: scratch,
    maxBuffer: 16 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as { _meta: { hostvars: Record<string, Vars> } })._meta.hostvars;
}

/**
 * Checks that labwright and Ansible give every host of `inventories` the same
 * variables (as JSON); returns Ansible's.
 */
async function expectSameAsAnsible(
  expect: ExpectStatic,
  inventories: readonly string[],
  extraVars?: Vars,
): Promise<Record<string, Vars>> {
  const [ours, theirs] = await Promise.all([
    loadInventory([...inventories], { extraVars }),
    ansibleHostVars(inventories, extraVars),
  ]);
  expect(ours.hosts.size).toBeGreaterThan(0);
  expect([...ours.hosts.keys()]).toEqual(expect.arrayContaining(Object.keys(theirs)));
  for (const host of ours.hosts.values()) {
    const asJson = JSON.parse(JSON.stringify(host.vars)) as Vars;
    expect({ host: host.name, vars: asJson }).toEqual({ host: host.name, vars: theirs[host.name] ?? {} });
  }
  return theirs;
}

const title = ansibleInventory
  ? 'the same variables as real Ansible (ansible-inventory --list)'
  : `SKIPPED: ${skipReason}`;

describe.skipIf(!ansibleInventory)(title, () => {
  it.concurrent.for(PRECEDENCE_CASES)('$name', async (precedenceCase, { expect }) => {
    const dir = await writeFiles(precedenceCase.name, precedenceCase.files);
    const inventories = (precedenceCase.inventories ?? ['hosts.yaml']).map((file) => path.join(dir, file));
    const theirs = await expectSameAsAnsible(expect, inventories, precedenceCase.extraVars);
    for (const [host, vars] of Object.entries(precedenceCase.expected)) {
      expect({ host, vars: theirs[host] ?? {} }).toEqual({ host, vars });
    }
  });

  it.concurrent('plain YAML scalars', async ({ expect }) => {
    const dir = await writeFiles('scalars', {
      'hosts.yaml':
        'all:\n  hosts:\n    h:\n' +
        '      scalars: [y, Y, n, N, yes, No, "yes", on, OFF, true, FALSE, tRuE, ~, null, "",\n' +
        '        1e3, 1.0e3, 1e-3, 1.5e+3, 6.8523015e+5, -.5, .5, 3.14, 1_000, 0x1F, 017, 0b101, 1:30, 1.5:30,\n' +
        '        2024-05-01, 0.5.1, "0.5"]\n' +
        '      y: a key\n',
    });
    const theirs = await expectSameAsAnsible(expect, [path.join(dir, 'hosts.yaml')]);
    expect(theirs.h.y).toBe('a key');
  });

  it.concurrent('fixtures/precedence, with extra vars', async ({ expect }) => {
    const inventory = path.join(fixtures, 'precedence', 'inventory.yaml');
    const theirs = await expectSameAsAnsible(expect, [inventory], { extra_vars: 'extra vars' });
    expect(theirs.w1).toEqual({
      all_inventory: 'all inventory',
      k8s_inventory: 'k8s inventory',
      workers_inventory: 'workers inventory',
      group_vars_all: 'group_vars/all',
      group_vars_k8s: 'group_vars/k8s',
      group_vars_workers: 'group_vars/workers',
      host_inventory: 'host inventory',
      host_vars_w1: 'host_vars/w1',
      extra_vars: 'extra vars',
    });
  });

  it.concurrent('fixtures/homelab, without its !secret tags (ansible-core has no such tag)', async ({ expect }) => {
    const dir = path.join(await writeFiles('homelab', {}), 'homelab');
    await cp(path.join(fixtures, 'homelab'), dir, { recursive: true });
    const inventory = path.join(dir, 'inventory.yaml');
    const text = await readFile(inventory, 'utf8');
    expect(text).toContain('!secret ');
    await writeFile(inventory, text.replaceAll('!secret ', ''));
    const theirs = await expectSameAsAnsible(expect, [inventory]);
    expect(theirs.worker1).toMatchObject({ kube_version: '1.31', node_labels: { disk: 'ssd' }, ansible_become: true });
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { captureIo } from '../../test/support/io.js';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { main } from '../cli/main.js';
import { defineRole, play } from '../engine/definitions.js';
import { fileSha256, vendorManifest, vendorManifestPath, type VendorManifestArgs } from './vendor-manifest.js';

const url = 'https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/manifests/metallb-native.yaml';
const args: VendorManifestArgs = { stem: 'metallb-native', version: 'v0.14.9', url, dir: '/var/lib/labwright/metallb' };

describe('vendorManifest', () => {
  it('names the fetched file by version and URL, so a new version or URL fetches anew', () => {
    const a = vendorManifestPath(args);
    expect(a).toMatch(/^\/var\/lib\/labwright\/metallb\/metallb-native-v0\.14\.9-[0-9a-f]{8}\.yaml$/);
    expect(vendorManifestPath({ ...args, url: `${url}?x` })).not.toBe(a);
    expect(vendorManifestPath({ ...args, file: '/tmp/m.yaml' })).toBe('/var/lib/labwright/metallb/metallb-native-v0.14.9.yaml');
  });

  it('fetches on the host once (sha256 checked before it goes into place), never again', async () => {
    const fetch = vendorManifest({ ...args, sha256: 'a'.repeat(64) }).at(-1)!;
    const missing = new FixtureContext([[fileSha256(vendorManifestPath(args)), undefined]]);
    const plan = await missing.planAndApply(fetch);
    expect(plan).toMatchObject({ kind: 'change', changes: [{ summary: `fetch ${url} → ${vendorManifestPath(args)} on the host (sha256 checked)` }] });
    expect(missing.commands[0].cmd.text).toContain(`curl -fsSL --proto =https --proto-redir =https --retry 3 --connect-timeout 20 -o "$tmp" ${url}`);
    expect(missing.commands[0].cmd.text).toContain(`echo '${'a'.repeat(64)}  '"$tmp" | sha256sum -c --quiet -`);
    expect(missing.commands[0].cmd.text.indexOf('sha256sum -c')).toBeLessThan(missing.commands[0].cmd.text.indexOf('mv -f'));
    expect(await new FixtureContext([[fileSha256(vendorManifestPath(args)), 'a'.repeat(64)]]).planAndApply(fetch)).toMatchObject({ kind: 'ok' });
    const unchecked = vendorManifest(args).at(-1)!;
    expect(await new FixtureContext([[fileSha256(vendorManifestPath(args)), 'c'.repeat(64)]]).planAndApply(unchecked)).toMatchObject({ kind: 'ok' });
  });

  it('verifies a manifest fetched earlier against a changed sha256, and fetches it anew when it differs', async () => {
    const fetch = vendorManifest({ ...args, sha256: 'a'.repeat(64) }).at(-1)!;
    const stale = new FixtureContext([[fileSha256(vendorManifestPath(args)), 'c'.repeat(64)]]);
    expect(await stale.planAndApply(fetch)).toMatchObject({
      kind: 'change',
      changes: [{ summary: `fetch ${url} → ${vendorManifestPath(args)} again: its sha256 is ${'c'.repeat(64)}, expected ${'a'.repeat(64)}` }],
    });
    expect(stale.commands[0].cmd.text).toContain('sha256sum -c');
  });

  it.each(['http://127.0.0.1:9/metallb-native.yaml', 'file:///etc/passwd', 'ftp://127.0.0.1/m.yaml'])('refuses %s: https only', (refused) => {
    expect(() => vendorManifest({ ...args, url: refused })).toThrow(`${refused}: a manifest is fetched over https only (or set its file on the controller)`);
  });

  // A real host (the controller, ansible_connection: local); the https URL is a refused loopback port: nothing is fetched.
  it('on a real host: a manifest already there with another sha256 is not taken as fetched; the run fails and the file stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-vendor-'));
    const wanted = { ...args, url: 'https://127.0.0.1:1/metallb-native.yaml', dir: join(dir, 'manifests'), sha256: 'a'.repeat(64) };
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, `all:\n  hosts:\n    local1: { ansible_connection: local, labwright_state_dir: ${dir}/state }\n`);
    const dest = vendorManifestPath(wanted);
    const role = defineRole({ name: 'm', vars: z.object({}), tasks: ({ task }) => [task('manifest', () => vendorManifest(wanted))] });
    const run = async () => {
      const io = captureIo();
      return { code: await main([play({ name: 'm', hosts: 'all', roles: [role] })], ['-i', inventory], io), out: io.text() };
    };
    const first = await run(); // creates the directory; the fetch itself cannot succeed
    expect(first.code).toBe(2);
    writeFileSync(dest, 'kind: Namespace # fetched by an earlier run, before manifest_sha256 changed\n');
    const again = await run();
    expect(again.code).toBe(2);
    expect(again.out).toMatch(/curl: \(7\)/); // it tried to fetch (and verify) anew
    expect(readFileSync(dest, 'utf8')).toBe('kind: Namespace # fetched by an earlier run, before manifest_sha256 changed\n');
  });

  it('a user-provided file at ~/… is read from the home directory', () => {
    const home = mkdtempSync(join(tmpdir(), 'lw-home-'));
    writeFileSync(join(home, 'm.yaml'), 'kind: Namespace\n');
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      expect(vendorManifest({ ...args, file: '~/m.yaml' }).map((o) => o.label)).toEqual(['directory /var/lib/labwright/metallb', 'file /var/lib/labwright/metallb/metallb-native-v0.14.9.yaml']);
    } finally {
      process.env.HOME = saved;
    }
  });

  it('a user-provided file is checked against manifest_sha256 on the controller', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-vendor-'));
    writeFileSync(join(dir, 'm.yaml'), 'kind: Namespace\n');
    expect(() => vendorManifest({ ...args, file: join(dir, 'm.yaml'), sha256: 'b'.repeat(64) })).toThrow(/sha256 is [0-9a-f]{64}, expected b{64}/);
    expect(() => vendorManifest({ ...args, file: join(dir, 'missing.yaml') })).toThrow(/cannot read the manifest file/);
    expect(vendorManifest({ ...args, file: join(dir, 'm.yaml') }).map((o) => o.label)).toEqual(['directory /var/lib/labwright/metallb', 'file /var/lib/labwright/metallb/metallb-native-v0.14.9.yaml']);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FixtureContext } from '../../test/support/fixture-context.js';
import { pathExists } from '../facts/builtin.js';
import { vendorManifest, vendorManifestPath, type VendorManifestArgs } from './vendor-manifest.js';

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
    const missing = new FixtureContext([[pathExists(vendorManifestPath(args)), false]]);
    const plan = await missing.planAndApply(fetch);
    expect(plan).toMatchObject({ kind: 'change', changes: [{ summary: `fetch ${url} → ${vendorManifestPath(args)} on the host (sha256 checked)` }] });
    expect(missing.commands[0].cmd.text).toContain(`curl -fsSL --retry 3 --connect-timeout 20 -o "$tmp" ${url}`);
    expect(missing.commands[0].cmd.text).toContain(`echo '${'a'.repeat(64)}  '"$tmp" | sha256sum -c --quiet -`);
    expect(missing.commands[0].cmd.text.indexOf('sha256sum -c')).toBeLessThan(missing.commands[0].cmd.text.indexOf('mv -f'));
    expect(await new FixtureContext([[pathExists(vendorManifestPath(args)), true]]).planAndApply(fetch)).toMatchObject({ kind: 'ok' });
  });

  it('a user-provided file is checked against manifest_sha256 on the controller', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-vendor-'));
    writeFileSync(join(dir, 'm.yaml'), 'kind: Namespace\n');
    expect(() => vendorManifest({ ...args, file: join(dir, 'm.yaml'), sha256: 'b'.repeat(64) })).toThrow(/sha256 is [0-9a-f]{64}, expected b{64}/);
    expect(() => vendorManifest({ ...args, file: join(dir, 'missing.yaml') })).toThrow(/cannot read the manifest file/);
    expect(vendorManifest({ ...args, file: join(dir, 'm.yaml') }).map((o) => o.label)).toEqual(['directory /var/lib/labwright/metallb', 'file /var/lib/labwright/metallb/metallb-native-v0.14.9.yaml']);
  });
});

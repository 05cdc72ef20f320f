import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { site } from '../../playbooks/site.js';
import { captureIo } from '../../test/support/io.js';
import { writeTree, yamlLines } from '../inventory/fixtures/tree.js';
import { isSecret } from '../secret.js';
import { main } from './main.js';
import { parseExtraVars } from './options.js';

describe('-e @file.yaml keeps !secret (it became a plain string, with a warning)', () => {
  it('the value is a Secret, inline -e {…} too', async () => {
    const dir = await writeTree({ 'vars.yaml': yamlLines('db:', '  password: !secret extra-vars-pw-1') });
    const vars = parseExtraVars(`@${path.join(dir, 'vars.yaml')}`) as { db: { password: unknown } };
    expect(isSecret(vars.db.password)).toBe(true);
    expect(String(vars.db.password)).toBe('********');
    expect(isSecret((parseExtraVars('{token: !secret inline-token-2}') as { token: unknown }).token)).toBe(true);
  });

  it('is never printed, even in the message about a bad value', async () => {
    const dir = await writeTree({ 'hosts.yaml': yamlLines('all:', '  children:', '    dhcp_servers:', '      hosts:', '        h1:') });
    writeFileSync(path.join(dir, 'vars.yaml'), yamlLines('dnsmasq:', '  domain: !secret not a domain 3'));
    const io = captureIo();
    const code = await main(site, ['-i', path.join(dir, 'hosts.yaml'), '-e', `@${path.join(dir, 'vars.yaml')}`, '--plan'], io);
    expect(code).toBe(4);
    expect(io.stderr).toContain('host h1: dnsmasq.domain:');
    expect(io.text()).not.toContain('not a domain 3');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootRollbackScript, bootRollbackUnit } from './boot-rollback.js';

describe('rollback at boot', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the boot-rollback of every unconfirmed change, and only those; a failing one does not stop the others', () => {
    dir = mkdtempSync(join(tmpdir(), 'lw boot-'));
    for (const [id, marked, body] of [
      ['aaa', true, 'exit 3'],
      ['bbb', true, `echo bbb >> '${dir}/ran'; rm -f '${dir}/rollback/bbb/.unconfirmed'`],
      ['ccc', false, `echo ccc >> '${dir}/ran'`],
    ] as const) {
      mkdirSync(join(dir, 'rollback', id), { recursive: true });
      writeFileSync(join(dir, 'rollback', id, 'boot-rollback'), `${body}\n`);
      if (marked) writeFileSync(join(dir, 'rollback', id, '.unconfirmed'), '1\n');
    }
    writeFileSync(join(dir, 'rollback-at-boot'), bootRollbackScript(dir));
    const out = execFileSync('sh', [join(dir, 'rollback-at-boot')], { encoding: 'utf8' });
    expect(readFileSync(join(dir, 'ran'), 'utf8')).toBe('bbb\n');
    expect(out).toContain(`rolling back ${dir}/rollback/aaa failed`);
    expect(existsSync(join(dir, 'rollback', 'bbb', '.unconfirmed'))).toBe(false);
    // nothing unconfirmed: nothing to do, and no error
    rmSync(join(dir, 'rollback'), { recursive: true });
    expect(execFileSync('sh', [join(dir, 'rollback-at-boot')], { encoding: 'utf8' })).toBe('');
  });

  it('the unit runs before the network and before the units that load network or firewall configuration', () => {
    const unit = bootRollbackUnit('/var/lib/labwright');
    expect(unit).toContain('DefaultDependencies=no');
    expect(unit).toMatch(/^Before=.*\bnetwork-pre\.target\b.*\bsystemd-networkd\.service\b.*\blabwright-firewall\.service\b/m);
    expect(unit).toContain('ExecStart=/bin/sh /var/lib/labwright/rollback-at-boot');
    expect(unit).toContain('WantedBy=sysinit.target');
  });
});

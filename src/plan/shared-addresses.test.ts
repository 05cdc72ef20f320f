import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { captureIo } from '../../test/support/io.js';

async function plan(inventoryYaml: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'lw-plan-')), 'inventory.yaml');
  writeFileSync(file, inventoryYaml);
  const io = captureIo();
  const code = await main([], ['-i', file, '--plan'], io);
  return { code, out: io.stdout + io.stderr };
}

const LAN = '    lan: { subnet: 10.10.20.0/24, gateway: 10.10.20.1 }\n';
/** `count` hosts n1… with the vars `varsOf(i)` (i from 1), under `all`. */
const inventory = (count: number, varsOf: (i: number) => string, vars = LAN) =>
  `all:\n  vars:\n${vars}  hosts:\n${Array.from({ length: count }, (_, k) => `    n${k + 1}: { ${varsOf(k + 1)} }\n`).join('')}`;

describe('hosts sharing one address on different ports (NAT, Vagrant, port-forwarded labs)', () => {
  it('20 hosts on 127.0.0.1, ports 2201-2220, pass --plan: distinct SSH endpoints, loopback is no node address', async () => {
    const { code, out } = await plan(inventory(20, (i) => `ansible_host: 127.0.0.1, ansible_port: ${2200 + i}`));
    expect(out).toContain('address plan: no conflicts');
    expect(out).not.toContain('127.0.0.1');
    expect(code).toBe(0);
  });

  it('with their LAN addresses in ip: those are claimed, the forwarded address is not', async () => {
    const { code, out } = await plan(inventory(20, (i) => `ansible_host: 192.168.121.1, ansible_port: ${2200 + i}, ip: 10.10.20.${10 + i}`));
    expect(code).toBe(0);
    expect(out).toMatch(/10\.10\.20\.11\s+node\s+n1/);
    expect(out).toMatch(/10\.10\.20\.30\s+node\s+n20/);
    expect(out).not.toContain('192.168.121.1');
  });

  it('two hosts with the same ip are still refused, port forwards or not', async () => {
    const { code, out } = await plan(inventory(2, (i) => `ansible_host: 127.0.0.1, ansible_port: ${2200 + i}, ip: 10.10.20.50`));
    expect(code).toBe(4);
    expect(out).toContain('10.10.20.50 is claimed 2 times: node of n1 (inventory: n1), node of n2 (inventory: n2)');
  });

  it('an ansible_host outside the host LAN is how the controller reaches it, not its LAN address: not claimed', async () => {
    const { code, out } = await plan(inventory(2, (i) => `ansible_host: 203.0.113.9, ip: 10.10.20.${10 + i}`));
    expect(code).toBe(0);
    expect(out).not.toContain('203.0.113.9');
  });

  it('two hosts on one ansible_host inside their LAN on port 22 are refused', async () => {
    const { code, out } = await plan(inventory(2, () => 'ansible_host: 10.10.20.7'));
    expect(code).toBe(4);
    expect(out).toContain('10.10.20.7 is claimed 2 times');
  });
});

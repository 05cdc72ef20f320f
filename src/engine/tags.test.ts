import { describe, expect, it } from 'vitest';
import { isSelected, parseTagList } from './tags.js';

const sel = (only: string[] = [], skip: string[] = []) => ({ only, skip });

describe('tag selection (Ansible semantics)', () => {
  it.each([
    // [task tags, --tags, --skip-tags, runs?]
    [['dnsmasq'], [], [], true],
    [['dnsmasq'], ['dnsmasq'], [], true],
    [['haproxy'], ['dnsmasq'], [], false],
    [['haproxy', 'haproxy:config'], ['dnsmasq', 'haproxy:config'], [], true],
    [['dnsmasq'], [], ['dnsmasq'], false],
    [['dnsmasq', 'dnsmasq:leases'], ['dnsmasq'], ['dnsmasq:leases'], false],
    [['always'], ['dnsmasq'], [], true],
    [['firewall', 'always'], ['dnsmasq'], [], true],
    [['always'], [], ['always'], false],
    [['never', 'debug'], [], [], false],
    [['never', 'debug'], ['dnsmasq'], [], false],
    [['never', 'debug'], ['debug'], [], true],
    [['never'], ['never'], [], true],
    [['never', 'debug'], ['all'], [], false],
    [[], ['untagged'], [], true],
    [['x'], ['untagged'], [], false],
    [['x'], ['tagged'], [], true],
    [['x'], [], ['tagged'], false],
    [[], [], ['untagged'], false],
    [['x'], ['all'], [], true],
  ] as const)('tags %j with --tags %j --skip-tags %j → %s', (task, only, skip, runs) => {
    expect(isSelected(task, sel([...only], [...skip]))).toBe(runs);
  });

  it('parses comma lists from repeated flags', () => {
    expect(parseTagList(['dnsmasq,haproxy', ' keepalived ', ''])).toEqual(['dnsmasq', 'haproxy', 'keepalived']);
  });
});

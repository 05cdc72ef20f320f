import { describe, expect, it } from 'vitest';
import { isSecret, secret } from '../secret.js';
import { MISSING, renderTemplate, TemplateProblem } from './jinja.js';

const VARS: Record<string, unknown> = {
  inventory_hostname: 'k1.example.com',
  groups: { all: ['k1.example.com', 'k2'], k8s: ['k1.example.com', 'k2'], empty: [] },
  hostvars: { k2: { ip: '10.0.0.2' } },
  other: 'k2',
  cidr: '10.1.2.3/24',
  name: 'Node-A',
  password: secret('hunter22'),
  nothing: null,
};
const lookup = (name: string) => (name in VARS ? VARS[name] : MISSING);
const render = (template: string) => renderTemplate(template, lookup).value;
const problem = (template: string): TemplateProblem => {
  try {
    renderTemplate(template, lookup);
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateProblem);
    return error as TemplateProblem;
  }
  throw new Error(`${template} rendered`);
};

describe('inventory templates (ansible-core 2.14, jinja2_native=False)', () => {
  it('reads variables, subscripts and attributes', () => {
    expect(render('{{ inventory_hostname }}')).toBe('k1.example.com');
    expect(render("{{ hostvars[other].ip }}")).toBe('10.0.0.2');
    expect(render("{{ hostvars['k2']['ip'] }}")).toBe('10.0.0.2');
    expect(render('{{ groups.k8s[-1] }}')).toBe('k2');
    expect(render("{% if other == 'k2' %}yes{% else %}no{% endif %}")).toBe('yes');
    expect(render("{{ name ~ '-' ~ other }}")).toBe('Node-A-k2');
  });

  it('keeps numbers as text but turns list, dict and boolean results back into data, as Ansible', () => {
    expect(render("{{ groups['k8s'] | length }}")).toBe('2');
    expect(render('{{ 3 + 4 }}')).toBe('7');
    expect(render("{{ groups['k8s'] }}")).toEqual(['k1.example.com', 'k2']);
    expect(render('[{{ 1 }}, 2]')).toEqual([1, 2]);
    expect(render("{{ {'a': [1, none, true]} }}")).toEqual({ a: [1, null, true] });
    expect(render('{{ 1 == 1 }}')).toBe(true);
    expect(render('{{ nothing }}')).toBe('None');
    expect(render('[{{ other }}]')).toBe('[k2]');
  });

  it('has Ansible\'s common filters', () => {
    expect(render("{{ missing | default('10.0.0.1') }}")).toBe('10.0.0.1');
    expect(render("{{ missing | d('x') }}")).toBe('x');
    expect(render("{{ hostvars['nope'].ip | default('y') }}")).toBe('y');
    expect(render("{{ '' | default('z', true) }}")).toBe('z');
    expect(render('{{ name | lower }}/{{ name | upper }}')).toBe('node-a/NODE-A');
    expect(render("{{ groups.k8s | join(',') }}")).toBe('k1.example.com,k2');
    expect(render('{{ groups.k8s | first }} {{ groups.k8s | last }}')).toBe('k1.example.com k2');
    expect(render("{{ '3.7' | int }} {{ 'x' | int }}")).toBe('3 0');
    expect(render("{{ 'yes' | bool }}")).toBe(true);
    expect(render("{{ 'on' | bool }}")).toBe(true);
    expect(render("{{ 'no' | bool }}")).toBe(false);
    expect(render("{{ 'True' | bool }}")).toBe(true);
    expect(render("{{ name | replace('-', '_') }}")).toBe('Node_A');
    expect(render("{{ name | regex_replace('^(\\\\w+)-(?P<x>\\\\w)$', '\\\\g<x>.\\\\1') }}")).toBe('A.Node');
    expect(render("{{ cidr | ansible.utils.ipaddr('address') }}")).toBe('10.1.2.3');
    expect(render("{{ cidr | ipaddr('network') }}")).toBe('10.1.2.0');
    expect(render("{{ 'nonsense' | ipaddr }}")).toBe(false);
  });

  it('refuses an undefined variable, naming it', () => {
    expect(problem('{{ nope }}').construct).toBe('nope');
    expect(problem("{{ hostvars['k2'].nope }}").message).toMatch(/nope' is undefined/);
    expect(problem('{{ nope | lower }}').construct).toBe('nope');
  });

  it('says facts are not inventory', () => {
    const p = problem('{{ ansible_default_ipv4.address }}');
    expect(p.message).toMatch(/fact.*facts are not inventory/);
    expect(p.construct).toBe('ansible_default_ipv4');
    expect(problem("{{ ansible_facts['eth0'] | default('x') }}").construct).toBe('ansible_facts');
    expect(render("{{ ansible_host | default('10.0.0.1') }}")).toBe('10.0.0.1');
  });

  it('names an unsupported construct', () => {
    expect(problem('{{ other | to_yaml }}').construct).toBe('| to_yaml');
    expect(problem("{{ lookup('env', 'HOME') }}").construct).toBe('lookup()');
    expect(problem('{{ play_hosts }}').construct).toBe('play_hosts');
    expect(problem("{{ other is match('k') }}").construct).toBe('is match');
    expect(problem('{{ 1 + }}').message).toMatch(/unsupported or invalid template/);
  });

  it('reaches only data, never a JavaScript property (no code execution from an inventory)', () => {
    expect(problem('{{ other.constructor.constructor("return process")() }}').construct).toMatch(/\(\)$/);
    expect(problem("{{ ''.constructor }}").construct).toMatch(/constructor/);
    expect(problem('{{ groups.k8s.length }}').construct).toMatch(/length/);
    expect(problem('{{ groups.__proto__ }}').construct).toBe('__proto__');
    expect(render("{{ groups['k8s'][0][0] }}")).toBe('k');
  });

  it('makes a result that used a Secret a secret', () => {
    const rendered = renderTemplate('{{ password | upper }}', lookup);
    expect(rendered.secret).toBe(true);
    expect(rendered.value).toBe('HUNTER22');
    expect(renderTemplate('{{ other }}', lookup).secret).toBe(false);
    expect(isSecret(VARS.password)).toBe(true);
  });
});

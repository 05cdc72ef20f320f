import { z } from 'zod';
import { draftGroup, draftHost, type GroupDraft, type InventoryDraft } from './draft.js';
import { expandHostEntry, HostRangeError } from './host-ranges.js';
import { entriesOf, readVars, rootEntry, type Entry } from './nodes.js';
import { parseErrorAt } from './position.js';
import { expectValue, NAME, type Expectation } from './schema.js';
import { closest } from './suggest.js';
import type { YamlSource } from './yaml.js';

const GROUP_SECTIONS = ['hosts', 'children', 'vars'] as const;

const GROUP_SECTION: Expectation<(typeof GROUP_SECTIONS)[number]> = {
  schema: z.enum(GROUP_SECTIONS),
  expected: 'hosts, children or vars',
  advice: (found) => {
    const suggestion = closest(String(found), GROUP_SECTIONS);
    return suggestion && `did you mean "${suggestion}"?`;
  },
};

/** Adds the groups, hosts and variables of one inventory file (Ansible's YAML inventory format). */
export function addInventoryFile(draft: InventoryDraft, source: YamlSource): void {
  const root = rootEntry(source);
  const expected = 'a mapping of groups such as "all:"';
  if (source.doc.contents === null) throw parseErrorAt(root.origin, `the inventory is empty: expected ${expected}`);
  for (const group of entriesOf(source, root, expected)) addGroup(draft, source, group);
}

function addGroup(draft: InventoryDraft, source: YamlSource, entry: Entry): void {
  const group = draftGroup(draft, expectValue(NAME, entry.key, entry.origin));
  for (const section of entriesOf(source, entry, 'a mapping with hosts, children or vars')) {
    switch (expectValue(GROUP_SECTION, section.key, section.origin)) {
      case 'hosts':
        for (const host of entriesOf(source, section, 'a mapping of host names')) addHosts(draft, group, source, host);
        break;
      case 'children':
        for (const child of entriesOf(source, section, 'a mapping of child groups')) {
          addGroup(draft, source, child);
          if (!group.children.has(child.key)) group.children.set(child.key, child.origin);
        }
        break;
      case 'vars':
        group.vars.push(readVars(source, section));
        break;
    }
  }
}

/** A host entry: a name, or a pattern with ranges and a port (`node[1:3]:2222`), as Ansible's YAML plugin reads it. */
function addHosts(draft: InventoryDraft, group: GroupDraft, source: YamlSource, host: Entry): void {
  let expanded: { names: string[]; port?: number };
  try {
    expanded = expandHostEntry(host.key);
  } catch (error) {
    if (error instanceof HostRangeError) throw parseErrorAt(host.origin, `host range ${error.message}`);
    throw error;
  }
  for (const name of expanded.names) {
    expectValue(NAME, name, host.origin);
    const known = draft.hosts.has(name);
    const layers = draftHost(draft, name);
    // As Ansible, the port applies to a host when it is first seen.
    if (!known && expanded.port !== undefined) {
      layers.push(new Map([['ansible_port', { value: expanded.port, origin: host.origin }]]));
    }
    group.hosts.add(name);
    layers.push(readVars(source, host));
  }
}

import {
  isPair,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Pair,
  type ScalarTag,
  type Tags,
} from 'yaml';
import { ParseError } from '../errors.js';
import { isSecret, secret, type Secret } from '../secret.js';
import { stringifyString } from 'yaml/util';
import { locationAt, originAt, parseErrorAt } from './position.js';
import { readText, readTextSync } from './read-text.js';
import { pathText, rejectAliasBombs, rejectBadAliases } from './yaml-guards.js';
import type { VaultKeyring } from '../vault/keyring.js';
import { decryptInlineVaults, markSecrets, openVaultFile, vaultTag } from '../vault/yaml-vault.js';

/** A parsed YAML (or JSON) file, with what is needed to point at its nodes. */
export interface YamlSource {
  /** The path as shown in messages. */
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

const OUR_TAGS = ['!secret', '!unsafe', '!vault'];
/** `!secret text` ↔ Secret; also used to write inventories (the lab's) that keep their secrets. */
export const secretTag: ScalarTag = {
  tag: '!secret',
  identify: isSecret,
  resolve: (text) => secret(text),
  stringify: (item, ctx, onComment, onChompKeep) => stringifyString({ value: (item.value as Secret).reveal() }, ctx, onComment, onChompKeep),
};
/** Ansible marks strings it must not template with `!unsafe`; labwright never templates inventory values. */
const unsafeTag: ScalarTag = { tag: '!unsafe', resolve: (text) => text };
const isTimestamp = (tag: Tags[number]): boolean =>
  typeof tag === 'string' ? tag === 'timestamp' : tag.tag === 'tag:yaml.org,2002:timestamp';

/*
 * Ansible reads YAML with PyYAML, whose YAML 1.1 booleans and floats are fewer
 * than the yaml package's: y, Y, n and N are strings, and so are 1e3 and -.5
 * (a float has digits before its point, or no sign, and an exponent only after
 * a point and with a sign).
 */
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PYYAML_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)$/;

/** The yaml package's YAML 1.1 tags, resolving plain scalars like PyYAML (dates stay strings). */
function pyyamlTags(tags: Tags): Tags {
  return tags.flatMap((tag): Tags => {
    if (isTimestamp(tag)) return [];
    if (typeof tag === 'string' || !('test' in tag) || !tag.test) return [tag];
    if (tag.tag === 'tag:yaml.org,2002:bool') {
      return [{ ...tag, test: tag.test.test('true') ? PYYAML_TRUE : PYYAML_FALSE }];
    }
    if (tag.tag !== 'tag:yaml.org,2002:float') return [tag];
    // The exponent float goes: the plain float reads exponents too.
    if (tag.format === 'EXP') return [];
    return tag.test.test('1.5') ? [{ ...tag, test: PYYAML_FLOAT }] : [tag];
  });
}

/**
 * Parses `file` as YAML 1.1, like Ansible (PyYAML): unquoted yes/no are booleans
 * (y/n are not) and `<<` merge keys work. Dates stay strings so that vars
 * remain plain data.
 */
export async function readYamlSource(file: string, vault?: VaultKeyring): Promise<YamlSource> {
  return parseYaml(file, await readText(file), vault);
}

/** readYamlSource, synchronously (for `-e @file`). */
export function readYamlSourceSync(file: string, vault?: VaultKeyring): YamlSource {
  return parseYaml(file, readTextSync(file), vault);
}

/**
 * `text` (from `file`, as named in messages) parsed as readYamlSource does.
 * Every problem is a ParseError naming file:line:col: syntax, tags, a
 * !secret refused, duplicate keys, aliases that make an endless or an
 * exploding structure.
 */
export function parseYaml(file: string, fileText: string, vault?: VaultKeyring): YamlSource {
  // A vault-encrypted file is read as its plaintext; !vault values are decrypted once parsed (src/vault/yaml-vault.ts).
  const { text, encrypted } = openVaultFile(file, fileText, vault);
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false, // checked below, to point at the repeated key
    customTags: (tags) => [...pyyamlTags(tags), secretTag, unsafeTag, vaultTag],
  });
  const [problem] = [...doc.errors, ...doc.warnings];
  if (problem) {
    const [start, end] = problem.pos;
    const tag = text.slice(start, end);
    const refused = problem.code === 'TAG_RESOLVE_FAILED' && OUR_TAGS.includes(tag) && doc.errors.includes(problem as never);
    const message =
      problem.code !== 'TAG_RESOLVE_FAILED'
        ? `YAML syntax error: ${problem.message}`
        : refused
          ? `${pathText(doc, start)}${problem.message}`
          : OUR_TAGS.includes(tag)
            ? `${tag} applies only to a single value such as a string`
            : `unknown YAML tag ${tag}: only ${OUR_TAGS.join(' and ')} are supported`;
    throw new ParseError(`${locationAt(file, lines, start)}: ${message}`);
  }
  const source = { file, doc, lines };
  rejectBadAliases(source);
  rejectAliasBombs(source);
  rejectDuplicateKeys(source);
  decryptInlineVaults(source, vault, (offset) => pathText(doc, offset));
  if (encrypted) markSecrets(source);
  return source;
}

function rejectDuplicateKeys(source: YamlSource): void {
  visit(source.doc, {
    Map(_, map, ancestors) {
      const seen = new Map<unknown, Pair>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof key === 'symbol') continue; // `<<` merge keys may repeat
        const first = seen.get(key);
        if (first) throw duplicateKey(source, [...ancestors.filter(isPair), pair], first);
        seen.set(key, pair);
      }
    },
  });
}

/** The error for the last of `pairs` (the path to it), whose key `first` already has. */
function duplicateKey(source: YamlSource, pairs: readonly Pair[], first: Pair): ParseError {
  const path = pairs.map(({ key }) => String(isScalar(key) ? key.value : key));
  const firstLocation = originAt(source.file, source.lines, first.key, path).location;
  const repeated = originAt(source.file, source.lines, pairs.at(-1)!.key, path);
  return parseErrorAt(repeated, `duplicate key (first at ${firstLocation})`);
}

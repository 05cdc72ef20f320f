import { isAlias, isCollection, isMap, isNode, isPair, isScalar, isSeq, visit, type Document, type LineCounter, type Node } from 'yaml';
import { ParseError } from '../errors.js';
import { locationAt } from './position.js';

/** What a document needs for these checks (a YamlSource without the import cycle). */
interface Parsed {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/**
 * Values a document may expand to through its aliases beyond what is written:
 * a few thousand written values that expand to millions are an alias bomb
 * ("billion laughs"), refused before anything is expanded.
 */
export const MAX_EXPANDED_VALUES = 100_000;
const MAX_EXPANSION_FACTOR = 10;

/**
 * Refuses an alias without an anchor before it, and an alias inside the very
 * node its anchor names (`all: &x {children: {g: *x}}`, or `<<: *x` inside x),
 * which would make an endless structure.
 */
export function rejectBadAliases(source: Parsed): void {
  visit(source.doc, {
    Alias(_, alias, ancestors) {
      const target = alias.resolve(source.doc);
      if (!target) {
        throw new ParseError(
          `${locationAt(source.file, source.lines, alias.range?.[0] ?? 0)}: ${pathText(source.doc, alias.range?.[0] ?? 0)}` +
            `alias *${alias.source} has no anchor &${alias.source} before it`,
        );
      }
      if (ancestors.includes(target as never)) {
        throw new ParseError(
          `${locationAt(source.file, source.lines, alias.range?.[0] ?? 0)}: ${pathText(source.doc, alias.range?.[0] ?? 0)}` +
            `alias *${alias.source} refers to a node that contains it: the value would be endless`,
        );
      }
    },
  });
}

/** Refuses a document whose aliases expand it far beyond what is written (see MAX_EXPANDED_VALUES). */
export function rejectAliasBombs(source: Parsed): void {
  const sizes = new Map<unknown, number>();
  let written = 0;
  visit(source.doc, {
    Node() {
      written++;
    },
  });
  const size = (node: unknown): number => {
    if (!isNode(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let total = 1;
    if (isAlias(node)) total = size(node.resolve(source.doc));
    else if (isCollection(node)) {
      for (const item of node.items) total += isPair(item) ? size(item.key) + size(item.value) : size(item);
    }
    sizes.set(node, total);
    return total;
  };
  const expanded = size(source.doc.contents);
  if (expanded > MAX_EXPANDED_VALUES && expanded > MAX_EXPANSION_FACTOR * written) {
    throw new ParseError(
      `${source.file}: its aliases expand ${written} written values to ${expanded > 1e12 ? 'more than 10^12' : expanded}: ` +
        `refused as an alias bomb (at most ${MAX_EXPANDED_VALUES} values, or ${MAX_EXPANSION_FACTOR} times what is written)`,
    );
  }
}

/** "key.path: " of the value at `offset` (a tag or value inside it), "" at the top level. */
export function pathText(doc: Document.Parsed, offset: number): string {
  const path = pathAt(doc.contents, offset);
  return path.length > 0 ? `${path.join('.')}: ` : '';
}

/** The keys and list indexes leading to the value written at `offset` (aliases are not followed). */
export function pathAt(node: unknown, offset: number): string[] {
  if (isMap(node)) {
    const pair = node.items.find((p) => {
      const start = (p.key as Node | null)?.range?.[0];
      const end = (p.value as Node | null)?.range?.[2] ?? (p.key as Node | null)?.range?.[2];
      return start !== undefined && end !== undefined && start <= offset && offset < Math.max(end, start + 1);
    });
    if (!pair) return [];
    const value = isScalar(pair.key) ? pair.key.value : pair.key;
    const key = typeof value === 'symbol' ? '<<' : String(value);
    return [key, ...pathAt(pair.value, offset)];
  }
  if (isSeq(node)) {
    // An item's tag comes before the item's own range: the item is the first one ending after `offset`.
    const index = node.items.findIndex((item) => isNode(item) && item.range && offset < item.range[2]);
    return index < 0 ? [] : [String(index), ...pathAt(node.items[index], offset)];
  }
  return [];
}

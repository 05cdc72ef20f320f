import { isNode, type LineCounter } from 'yaml';
import { ParseError } from '../errors.js';

/** Where a value or key was written, for error messages and `Inventory.origin()`. */
export interface Origin {
  /** "inventory/home.yaml:14:21", or "extra vars". */
  readonly location: string;
  /** Key path inside that source, e.g. "all.children.gateways.hosts.gw1.ansible_port" ("" for the whole file). */
  readonly keyPath: string;
}

/** The origin of `node` (usually a mapping key) in `file`. */
export function originAt(
  file: string,
  lines: LineCounter,
  node: unknown,
  path: readonly string[],
): Origin {
  return { location: locationAt(file, lines, isNode(node) && node.range ? node.range[0] : 0), keyPath: path.join('.') };
}

export function locationAt(file: string, lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(offset);
  return `${file}:${line}:${col}`;
}

/** "file:line:col: key.path: message" */
export function parseErrorAt(origin: Origin, message: string): ParseError {
  return new ParseError([origin.location, origin.keyPath, message].filter(Boolean).join(': '));
}

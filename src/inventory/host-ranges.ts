/*
 * Host entries as Ansible's inventory plugins read them
 * (BaseInventoryPlugin._expand_hostpattern): an optional `:port`, and ranges
 * `node[1:3]`, `node[01:10]` (zero-padded), `db-[a:f]`, `[1:10:2]` (stride),
 * several in one name.
 */

/** Thrown for a malformed range; the caller adds file and line. */
export class HostRangeError extends Error {}

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const V6 = `(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const V4 = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const WORD = String.raw`[\p{L}\p{N}_]`;
const LABEL = `(?:${WORD}|${ALNUM_RANGE})(?:${WORD}|[_-]|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(`^(?:${V4}\\.){3}${V4}$`, 'i');
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${V6}:){7}${V6}`,
      `(?:${V6}:){1,6}:`,
      `(?:${V6}:)(?::${V6}){1,6}`,
      `(?:${V6}:){2}(?::${V6}){1,5}`,
      `(?:${V6}:){3}(?::${V6}){1,4}`,
      `(?:${V6}:){4}(?::${V6}){1,3}`,
      `(?:${V6}:){5}(?::${V6}){1,2}`,
      `(?:${V6}:){6}(?::${V6})`,
      `:(?::${V6}){1,6}`,
      `${V6}?::`,
      `(?:0:){6}(?:${V6}\\.){3}${V6}`,
      `::(?:ffff:)?(?:${V6}\\.){3}${V6}`,
      `(?:0:){5}ffff:(?:${V6}\\.){3}${V6}`,
    ].join('|') +
    ')$',
  'i',
);
/**
 * An ASCII host name without range or port, which HOSTNAME matches: most
 * entries, told without running HOSTNAME, whose Unicode case-insensitive
 * classes cost V8 tens of milliseconds to compile (start-up of every run).
 */
const PLAIN_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?)*$/;
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, 'iu');

/** parse_address(allow_ranges=True): the host and its port, or undefined when Ansible cannot parse it as an address. */
export function parseAddress(text: string): { host: string; port?: number } | undefined {
  if (PLAIN_NAME.test(text)) return { host: text, port: undefined };
  let address = text;
  let port: number | undefined;
  for (const pattern of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const match = pattern.exec(address);
    if (match) {
      address = match[1];
      port = Number(match[2]);
    }
  }
  return [IPV4, IPV6, HOSTNAME].some((pattern) => pattern.test(address)) ? { host: address, port } : undefined;
}

/**
 * The host names a host entry stands for, and the port given with them
 * (Ansible sets it as the new hosts' `ansible_port`). An entry that is not an
 * address is taken whole, as Ansible does.
 */
export function expandHostEntry(entry: string): { names: string[]; port?: number } {
  const parsed = parseAddress(entry);
  const pattern = parsed?.host ?? entry;
  const port = parsed?.port;
  return { names: pattern.includes('[') ? expandRanges(pattern) : [pattern], port: port || undefined };
}

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** expand_hostname_range: the first [begin:end(:step)] expanded, then the rest of each name in turn. */
function expandRanges(name: string): string[] {
  const open = name.indexOf('[');
  const close = name.indexOf(']');
  if (close < open || close === -1) throw new HostRangeError(`"${name}": a range is written [begin:end] or [begin:end:step]`);
  const head = name.slice(0, open);
  const tail = name.slice(close + 1);
  const bounds = name.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostRangeError(`"${name}": a host range must be begin:end or begin:end:step`);
  }
  const begin = bounds[0] || '0';
  const end = bounds[1];
  const step = bounds.length === 3 ? pythonInt(bounds[2], name) : 1;
  if (!end) throw new HostRangeError(`"${name}": a host range must give its end`);
  const width = begin[0] === '0' && begin.length > 1 ? begin.length : 0;
  if (width > 0 && width !== end.length) {
    throw new HostRangeError(`"${name}": a zero-padded range needs begin and end of the same length (${begin}, ${end})`);
  }
  const fill = (item: string | number) => String(item).padStart(width, '0');

  let items: (string | number)[];
  // As Python's str.index, a letter bound is found as a substring of a-zA-Z.
  const [first, last] = [ASCII_LETTERS.indexOf(begin), ASCII_LETTERS.indexOf(end)];
  if (first !== -1 && last !== -1 && step !== 0) {
    if (first > last) throw new HostRangeError(`"${name}": a host range must have begin <= end`);
    items = step > 0 ? [...ASCII_LETTERS.slice(first, last + 1)].filter((_, index) => index % step === 0) : [];
  } else {
    const [from, to] = [pythonInt(begin, name), pythonInt(end, name)];
    if (step === 0) throw new HostRangeError(`"${name}": the step of a host range cannot be 0`);
    items = [];
    for (let i = from; step > 0 ? i <= to : i > to + 1; i += step) items.push(i); // Python's range(from, to + 1, step)
  }
  return items.flatMap((item) => {
    const expanded = head + fill(item) + tail;
    return expanded.includes('[') ? expandRanges(expanded) : [expanded];
  });
}

/** Python's int() of a range bound. */
function pythonInt(text: string, name: string): number {
  const trimmed = text.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(trimmed)) {
    throw new HostRangeError(`"${name}": "${text}" is not a number or a letter a-z, A-Z`);
  }
  return Number(trimmed.replaceAll('_', ''));
}

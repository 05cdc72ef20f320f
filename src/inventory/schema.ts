import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { ParseError } from '../errors.js';
import { describe } from './describe.js';
import { parseErrorAt, type Origin } from './position.js';

/** A zod schema and how to say what it wants, for "expected …, got …" messages. */
export interface Expectation<T> {
  readonly schema: z.ZodType<T>;
  readonly expected: string;
  /** Advice for a well-known mistake, appended to the message. */
  readonly advice?: (found: unknown) => string | undefined;
}

/** `found` checked (and converted) by `expectation`, else a ParseError at `origin`. */
export function expectValue<T>(expectation: Expectation<T>, found: unknown, origin: Origin): T {
  let result;
  try {
    result = expectation.schema.safeParse(found);
  } catch (error) {
    // A conversion that refuses the value itself (a secret too short to mask) is told where the value is.
    if (error instanceof ParseError) throw parseErrorAt(origin, error.message);
    throw error;
  }
  if (result.success) return result.data;
  const advice = expectation.advice?.(found);
  const message = `expected ${expectation.expected}, got ${describe(found)}`;
  throw parseErrorAt(origin, advice ? `${message} (${advice})` : message);
}

/** Host and group names: they must survive host patterns such as `a:!b,c&d`. */
export const NAME: Expectation<string> = {
  schema: z.string().regex(/^[^\s:,!&]+$/),
  expected: 'a non-empty name without spaces or any of : , ! &',
};

export const GROUP_PRIORITY: Expectation<number> = { schema: z.number().int(), expected: 'an integer' };

export const TEXT: Expectation<string> = { schema: z.string().min(1), expected: 'a non-empty string' };

export const BOOLEAN: Expectation<boolean> = {
  schema: z.boolean(),
  expected: 'true or false',
  advice: (found) =>
    typeof found !== 'string'
      ? undefined
      : /^[yn]$/i.test(found)
        ? 'y and n are strings in YAML as Ansible reads it: write true or false'
        : 'a quoted string is not a boolean: write true or false without quotes',
};

/** A whole number, also written as a string of digits ("22"). */
const wholeNumber = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

export const PORT: Expectation<number> = {
  schema: wholeNumber.pipe(z.number().int().min(1).max(65535)),
  expected: 'an integer port 1-65535',
};

export const SECONDS: Expectation<number> = {
  schema: wholeNumber.pipe(z.number().positive()),
  expected: 'a positive number of seconds',
};

/** An IP address (canonical form) or a DNS hostname. */
export const ADDRESS: Expectation<string> = {
  schema: z
    .string()
    .refine((text) => isIpAddress(text) || isDnsHostname(text))
    .transform((text) => (isIpAddress(text) ? ipaddr.parse(text).toString() : text)),
  expected: 'an IP address or a DNS hostname',
};

/**
 * ipaddr.js also accepts inet_aton forms ("10.1", "1234", octal "010.0.0.1"),
 * which would silently connect elsewhere: IPv4 must be four decimal parts.
 */
function isIpAddress(text: string): boolean {
  return ipaddr.isValid(text) && (ipaddr.IPv6.isValid(text) || ipaddr.IPv4.isValidFourPartDecimal(text));
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** RFC 1123 hostname; the last label is not all digits, so "10.0.0.256" is not a hostname. */
function isDnsHostname(text: string): boolean {
  const labels = text.replace(/\.$/, '').split('.');
  return text.length <= 253 && labels.every((label) => DNS_LABEL.test(label)) && !/^\d+$/.test(labels.at(-1)!);
}

import { ParseError } from './errors.js';

/**
 * A value that must never appear in output. Every renderer passes text through
 * `redact()`, and the shell template prints secrets as `********` in the
 * command text it shows to humans.
 */
const known = new Set<string>();

export const MASK = '********';

/**
 * Shortest secret accepted. Output is masked by replacing every occurrence of
 * each secret: a 1–3 character secret would turn every `a` or `ab` of the
 * output into the mask, and which characters vanish would tell the secret.
 */
export const MIN_SECRET_LENGTH = 4;

/** A secret too short to be masked safely (exit 4, like any bad inventory value). */
export class SecretTooShortError extends ParseError {
  constructor(readonly length: number) {
    super(
      `a secret of ${length} character(s) is refused: secrets must have at least ${MIN_SECRET_LENGTH} characters ` +
        '(every output is masked by replacing the secret, and masking a shorter one would reveal it)',
    );
    this.name = 'SecretTooShortError';
  }
}

export class Secret {
  readonly #value: string;
  /** Throws SecretTooShortError for 1 to 3 characters ('' is no secret at all: nothing to mask). */
  constructor(value: string) {
    if (value.length > 0 && value.length < MIN_SECRET_LENGTH) throw new SecretTooShortError(value.length);
    this.#value = value;
    if (value.length > 0) known.add(value);
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return MASK;
  }
}

export function secret(value: string): Secret {
  return new Secret(value);
}

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}

/** Plain string value of a string or Secret (for templates and commands only). */
export function reveal(v: string | Secret): string {
  return v instanceof Secret ? v.reveal() : v;
}

/** Known secrets, longest first: a secret that contains another is masked whole. */
function longestFirst(): string[] {
  return [...known].sort((a, b) => b.length - a.length);
}

/**
 * Replace every known secret value in `text` by the mask. Apply it to each
 * value before it is serialised (JSON escapes quotes, backslashes and
 * newlines) or split into lines (a diff prefixes each line of a PEM key):
 * after either, the secret is no longer there in one piece to be found.
 */
export function redact(text: string): string {
  let out = text;
  for (const s of longestFirst()) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** Whether `text` holds a known secret (its content must then never be shown). */
export function containsSecret(text: string | null | undefined): boolean {
  if (!text) return false;
  for (const s of known) if (text.includes(s)) return true;
  return false;
}

/**
 * A copy of plain data (event objects) with every string and key redacted,
 * for serialisers: `JSON.stringify(redactDeep(x))`.
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value === null || typeof value !== 'object' || isSecret(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k), redactDeep(v)])) as T;
}

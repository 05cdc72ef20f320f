/**
 * A value that must never appear in output. Every renderer passes text through
 * `redact()`, and the shell template prints secrets as `********` in the
 * command text it shows to humans.
 */
const known = new Set<string>();

export const MASK = '********';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
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

/** Replace every known secret value in `text` by the mask. */
export function redact(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

import { createHash } from 'node:crypto';
import type { ExecOptions, ExecResult } from '../connection/types.js';
import type { Fact } from '../facts/fact.js';
import type { Host } from '../inventory/types.js';
import { containsSecret } from '../secret.js';
import type { Command } from '../shell/quote.js';

/** What an operation may use while planning and applying on one host. */
export interface OpContext {
  readonly host: Host;
  /** Reads a fact (cached, batched). Read-only. */
  fact<T>(fact: Fact<T>): Promise<T>;
  /** Runs a command that changes the host; throws CommandFailed on a non-zero exit. */
  run(cmd: Command, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Drops the current connection and opens a NEW one for all further work
   * (rejects with UnreachableError): proves a change did not cut off access.
   */
  reconnect(): Promise<void>;
  /**
   * An OpContext on another inventory host, over the run's one connection to
   * it (opened on first use, closed with the others at the end of the run):
   * for work that needs something from elsewhere, such as a join token made
   * on the first control plane. Its facts are read-only like any others; run
   * commands on it only in `apply`. Optional: contexts without it (planning
   * fixtures) offer no delegation.
   */
  delegate?(host: Host): Promise<OpContext>;
}

/** What is shown of a content that holds a secret: its size and hash, never the text. */
export interface ContentDigest {
  bytes: number;
  sha256: string;
}

/**
 * A file's content before and after a planned change (null = absent). When the
 * content holds a secret (`sensitive`), neither side is kept, only digests:
 * the old content of a file whose new content holds a secret may hold the
 * secret's previous value, which is no longer a known secret.
 */
export type FileDiff =
  | { path: string; sensitive?: false; before: string | null; after: string | null }
  | { path: string; sensitive: true; before: ContentDigest | null; after: ContentDigest | null };

export function digest(content: string): ContentDigest {
  return { bytes: Buffer.byteLength(content, 'utf8'), sha256: createHash('sha256').update(content, 'utf8').digest('hex') };
}

/**
 * The diff of a change from `before` to `after`: digests only when the change
 * is `sensitive` (built from a Secret) or either side holds a known secret.
 */
export function fileDiff(path: string, before: string | null, after: string | null, sensitive = false): FileDiff {
  if (sensitive || containsSecret(before) || containsSecret(after)) {
    return { path, sensitive: true, before: before === null ? null : digest(before), after: after === null ? null : digest(after) };
  }
  return { path, before, after };
}

export interface Change {
  /** One line a human reads: "create /etc/dnsmasq.conf (0644 root:root)". */
  summary: string;
  diff?: FileDiff;
}

export type Apply = (ctx: OpContext) => Promise<void>;

export type Plan =
  /** Nothing to do; `reason` says why ("/etc/x already has the wanted content"). */
  | { kind: 'ok'; reason: string }
  /** These changes are needed; `apply` performs exactly them. */
  | { kind: 'change'; changes: Change[]; apply: Apply }
  /** The effect cannot be predicted (a raw command): would run, not checked. */
  | { kind: 'unpredictable'; changes: Change[]; apply: Apply };

/**
 * An operation: reads facts (read-only) and plans; the engine shows the plan
 * (check mode) or applies it. `facts` lists what `plan` will read, so the
 * engine can read the facts of many operations in one round trip.
 */
export interface Op {
  readonly label: string;
  readonly facts: readonly Fact<unknown>[];
  plan(ctx: OpContext): Promise<Plan>;
}

export function ok(reason: string): Plan {
  return { kind: 'ok', reason };
}

export function change(changes: Change | Change[], apply: Apply): Plan {
  return { kind: 'change', changes: Array.isArray(changes) ? changes : [changes], apply };
}

/** Several plans in sequence as one plan (ok only if all are ok). */
export function combinePlans(plans: readonly Plan[]): Plan {
  const active = plans.filter((p): p is Exclude<Plan, { kind: 'ok' }> => p.kind !== 'ok');
  if (active.length === 0) {
    return ok(plans.map((p) => (p.kind === 'ok' ? p.reason : '')).join('; '));
  }
  const changes = active.flatMap((p) => p.changes);
  const apply: Apply = async (ctx) => {
    for (const p of active) await p.apply(ctx);
  };
  return active.some((p) => p.kind === 'unpredictable')
    ? { kind: 'unpredictable', changes, apply }
    : { kind: 'change', changes, apply };
}

/** An operation made of others, planned together (all facts batched). */
export function sequence(label: string, ops: readonly Op[]): Op {
  return {
    label,
    facts: ops.flatMap((o) => o.facts),
    async plan(ctx) {
      return combinePlans(await Promise.all(ops.map((o) => o.plan(ctx))));
    },
  };
}

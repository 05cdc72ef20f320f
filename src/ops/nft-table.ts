import { posix } from 'node:path';
import { fileInfo } from '../facts/builtin.js';
import { defineFact } from '../facts/fact.js';
import { nftIdentifier, nftReplaceTablePrelude, type NftFamily } from '../net/nft.js';
import { sh, type Command } from '../shell/quote.js';
import { file } from './file.js';
import { guarded } from './guarded.js';
import { change, fileDiff, ok, type Op } from './op.js';

/** The live definition of one nft table (`nft -s list table`, stateless), or null when it is not loaded. */
export const nftTableListing = defineFact('nft-table', (family: NftFamily, table: string) => ({
  command: sh`nft -s list table ${family} ${nftIdentifier(table)} 2>/dev/null`,
  parse: ({ stdout, code }): string | null => (code === 0 ? stdout : null),
}));

/**
 * Whether nft accepts a ruleset (`nft -c`: parsed and checked by the kernel in a
 * transaction that is never committed, so read-only). `accepted` is undefined
 * when nft is not installed yet.
 */
export const nftAccepts = defineFact('nft-check', (content: string) => ({
  // the rules on stdin: a ruleset on the command line breaks past 128 KiB and would be shown in errors
  command: sh`if command -v nft >/dev/null 2>&1; then nft -c -f - 2>&1; else exit 127; fi`,
  stdin: content,
  parse: ({ stdout, code }): { accepted?: boolean; output: string } => ({
    accepted: code === 127 ? undefined : code === 0,
    output: stdout.trim() ? stdout.replace(/\/dev\/stdin:/g, 'line ') : `(nft -c exited ${code} without a message)`,
  }),
}));

export interface NftOwnedTableArgs {
  family: NftFamily;
  table: string;
  /** The rules file, e.g. /etc/nftables.d/labwright.nft. */
  path: string;
  /** The whole file; must begin with `nftReplaceTablePrelude(family, table)`. */
  content: string;
  /** Seconds until the previous table comes back unless the change is confirmed over a new connection. */
  rollbackAfterSec: number;
  /** State directory on the host (default /var/lib/labwright). */
  stateDir?: string;
}

export interface NftOwnedTablePaths {
  /** Where the table's listing is recorded after each load (to detect changes made by hand). */
  record: string;
}

export function nftOwnedTablePaths(args: Pick<NftOwnedTableArgs, 'family' | 'table' | 'stateDir'>): NftOwnedTablePaths {
  const dir = posix.join(args.stateDir ?? '/var/lib/labwright', 'nft');
  return { record: posix.join(dir, `${args.family}-${nftIdentifier(args.table)}.list`) };
}

/**
 * Loads the rules file (one atomic transaction replacing only our table) and
 * records the resulting listing; when the file is absent (a rollback of the
 * very first apply) it removes our table instead, so a rollback never leaves
 * the new table behind.
 */
export function nftActivateCommand(args: Pick<NftOwnedTableArgs, 'family' | 'table' | 'path' | 'stateDir'>): Command {
  const { record } = nftOwnedTablePaths(args);
  const t = nftIdentifier(args.table);
  return sh`if [ -e ${args.path} ]; then nft -f ${args.path} && mkdir -p ${posix.dirname(record)} && nft -s list table ${args.family} ${t} > ${record}; else { nft delete table ${args.family} ${t} 2>/dev/null || true; } && rm -f ${record}; fi`;
}

/**
 * Plans a reload when the live table is not what was last loaded from the
 * rules file (missing after a reboot without the boot unit, or edited by hand).
 * Its apply does nothing itself: the activation that follows reloads the file.
 */
function liveTableMatchesRecord(args: NftOwnedTableArgs): Op {
  const live = nftTableListing(args.family, args.table);
  const { record } = nftOwnedTablePaths(args);
  const recorded = fileInfo(record);
  const name = `table ${args.family} ${args.table}`;
  const reload = async () => undefined;
  return {
    label: `live ${name}`,
    facts: [live, recorded],
    async plan(ctx) {
      const [listing, info] = [await ctx.fact(live), await ctx.fact(recorded)];
      if (listing === null) return change({ summary: `${name} is not loaded: load it from ${args.path}` }, reload);
      if (!info.exists || info.content === undefined) {
        return change({ summary: `${name} is loaded but was not loaded by labwright: replace it from ${args.path}` }, reload);
      }
      if (info.content !== listing) {
        return change(
          {
            summary: `live ${name} differs from what was loaded from ${args.path} (changed outside labwright): reload it`,
            diff: fileDiff(`nft list ${name}`, listing, info.content),
          },
          reload,
        );
      }
      return ok(`live ${name} is what was loaded from ${args.path}`);
    },
  };
}

/** Fails the plan (in --check too) when nft refuses the new rules: nothing is changed or armed. */
function rulesAccepted(args: NftOwnedTableArgs): Op {
  const check = nftAccepts(args.content);
  return {
    label: `nft -c ${args.path}`,
    facts: [check],
    async plan(ctx) {
      const { accepted, output } = await ctx.fact(check);
      if (accepted === false) {
        throw new Error(`nft -c -f refuses the new rules for ${args.path}; nothing was changed, the previous ruleset stays live:\n${output.trim()}`);
      }
      return ok(accepted ? `nft -c accepts the rules for ${args.path}` : `nft not installed yet: ${args.path} is checked with nft -c -f when written`);
    },
  };
}

/**
 * One nft table of our own, lock-out safe: the rules file is written only after
 * `nft -c -f` accepts it, then loaded through `guarded` (timed rollback unless
 * a NEW connection confirms the host is still reachable). Only this table is
 * replaced; every other table stays. Planned changes: the file's diff, and a
 * reload when the live table drifted from the file. Rules nft refuses fail the
 * plan itself, so `--check` reports them too.
 */
export function nftOwnedTable(args: NftOwnedTableArgs): Op {
  const prelude = nftReplaceTablePrelude(args.family, args.table);
  if (!args.content.includes(prelude)) {
    throw new Error(`nft rules for table ${args.family} ${args.table} must contain the atomic-replace prelude:\n${prelude}`);
  }
  return guarded({
    label: `nft table ${args.family} ${args.table}`,
    stage: [
      rulesAccepted(args),
      file({ path: args.path, content: args.content, owner: 'root', group: 'root', mode: '0644', validate: (tmp) => sh`nft -c -f ${tmp}` }),
      liveTableMatchesRecord(args),
    ],
    // the record too: a rollback at boot (no activation then) must leave it matching the file put back
    paths: [args.path, nftOwnedTablePaths(args).record],
    activate: nftActivateCommand(args),
    rollbackAfterSec: args.rollbackAfterSec,
    stateDir: args.stateDir,
  });
}

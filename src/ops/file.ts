import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { fileInfo, type FileInfo } from '../facts/builtin.js';
import { Command, joinCommands, sh } from '../shell/quote.js';
import { containsSecret } from '../secret.js';
import { change, digest, fileDiff, ok, type Change, type FileDiff, type Op, type OpContext, type Plan } from './op.js';

export interface Ownership {
  owner?: string;
  group?: string;
  /** Octal permission string, e.g. "0644". */
  mode?: string;
}

export interface FileArgs extends Ownership {
  path: string;
  content: string;
  /**
   * Checks the new content before it goes live, given the temp file's path,
   * e.g. `(f) => sh\`dnsmasq --test -C ${f}\``. A non-zero exit aborts the
   * write and leaves the old file untouched.
   */
  validate?: (tempPath: string) => Command;
  /**
   * The content is built from a secret (also assumed when it holds a known
   * secret's value): diffs show only sizes and sha256, of both sides.
   */
  sensitive?: boolean;
}

function normaliseMode(mode: string): string {
  if (!/^0?[0-7]{3,4}$/.test(mode)) throw new Error(`invalid file mode "${mode}": expected octal such as "0644"`);
  return mode.padStart(4, '0').slice(-4);
}

/** Ownership/mode differences between what is there and what is wanted. */
export function ownershipChanges(info: FileInfo, want: Ownership): string[] {
  const out: string[] = [];
  if (want.owner && info.owner !== want.owner) out.push(`owner ${info.owner} → ${want.owner}`);
  if (want.group && info.group !== want.group) out.push(`group ${info.group} → ${want.group}`);
  if (want.mode && info.mode !== normaliseMode(want.mode)) out.push(`mode ${info.mode} → ${normaliseMode(want.mode)}`);
  return out;
}

/** chown/chmod commands for `path` (only the parts that are set). */
export function ownershipCommands(path: string, want: Ownership): Command[] {
  const cmds: Command[] = [];
  if (want.owner || want.group) {
    const spec = `${want.owner ?? ''}${want.group ? `:${want.group}` : ''}`;
    cmds.push(sh`chown ${spec} ${path}`);
  }
  if (want.mode) cmds.push(sh`chmod ${normaliseMode(want.mode)} ${path}`);
  return cmds;
}

function describeOwnership(want: Ownership): string {
  const parts = [want.mode && normaliseMode(want.mode), (want.owner || want.group) && `${want.owner ?? ''}:${want.group ?? ''}`];
  const text = parts.filter(Boolean).join(' ');
  return text ? ` (${text})` : '';
}

/**
 * Attributes not asked for stay as they are on an existing file; a new file
 * gets 0644 and the connecting (or become) user, as with Ansible's copy.
 */
function keepAttributesCommands(args: FileArgs, temp: string): Command[] {
  const cmds: Command[] = [];
  if (!args.mode) cmds.push(sh`if [ -e ${args.path} ]; then chmod --reference=${args.path} ${temp}; else chmod 0644 ${temp}; fi`);
  if (!args.owner && !args.group) cmds.push(sh`if [ -e ${args.path} ]; then chown --reference=${args.path} ${temp}; fi`);
  return cmds;
}

/**
 * The atomic write: content arrives on stdin into a temp file next to the
 * target, its checksum is verified (a controller killed mid-transfer leaves
 * a short file), it gets its ownership and mode, is validated, then renamed
 * over the target. Leftover temp files of killed runs are removed first.
 */
export function atomicWriteCommand(args: FileArgs): Command {
  const dir = posix.dirname(args.path);
  const prefix = posix.join(dir, `.${posix.basename(args.path)}.lwtmp.`);
  const temp = prefix + randomBytes(6).toString('hex');
  const steps = [
    sh`set -e`,
    new Command(`rm -f ${sh`${prefix}`.text}*`, `rm -f ${sh`${prefix}`.shown}*`),
    sh`lw_tmp=${temp}`,
    sh`trap 'rm -f "$lw_tmp"' EXIT`,
    sh`(umask 077; cat > "$lw_tmp")`,
    // a dropped connection ends stdin early: never move a short file into place
    sh`[ "$(sha256sum < "$lw_tmp" | cut -d' ' -f1)" = ${digest(args.content).sha256} ] || { echo "short write: content did not arrive whole" >&2; exit 1; }`,
    ...ownershipCommands(temp, args),
    ...keepAttributesCommands(args, temp),
    ...(args.validate ? [args.validate(temp)] : []),
    sh`mv -f "$lw_tmp" ${args.path}`,
    sh`trap - EXIT`,
  ];
  return joinCommands(steps, '\n');
}

/** What a diff shows of a file larger than the fileInfo fact reads (MAX_DIFF_BYTES). */
const TOO_LARGE = '(not shown: file too large)\n';

/** Plans writing `content` to a file given what is there now. */
export function planFile(info: FileInfo, args: FileArgs): Plan {
  // refused while planning, so that --check fails as the apply would
  if (info.exists && info.type !== 'file') throw new Error(`${args.path} is a ${info.type}, not a file: refusing to replace it`);
  const write = async (ctx: OpContext) => {
    await ctx.run(atomicWriteCommand(args), { stdin: args.content });
  };
  const sensitive = args.sensitive === true || containsSecret(args.content) || containsSecret(info.content);
  if (!info.exists) {
    return change({ summary: `create ${args.path}${describeOwnership(args)}`, diff: fileDiff(args.path, null, args.content, sensitive) }, write);
  }
  const changes: Change[] = [];
  const sameContent = info.sha256 === digest(args.content).sha256;
  if (!sameContent) {
    const diff: FileDiff = sensitive
      ? { path: args.path, sensitive, before: { bytes: info.size ?? 0, sha256: info.sha256 ?? '' }, after: digest(args.content) }
      : fileDiff(args.path, info.content ?? TOO_LARGE, args.content);
    changes.push({ summary: `update ${args.path}`, diff });
  }
  const attrs = ownershipChanges(info, args);
  if (attrs.length > 0) changes.push({ summary: `${args.path}: ${attrs.join(', ')}` });
  if (changes.length === 0) return ok(`${args.path} already has the wanted content${describeOwnership(args)}`);
  if (sameContent) {
    return change(changes, async (ctx) => {
      await ctx.run(joinCommands(ownershipCommands(args.path, args), ' && '));
    });
  }
  return change(changes, write);
}

/** A file with the given content, written atomically and optionally validated. */
export function file(args: FileArgs): Op {
  const fact = fileInfo(args.path);
  return {
    label: `file ${args.path}`,
    facts: [fact],
    plan: async (ctx) => planFile(await ctx.fact(fact), args),
  };
}

/** A directory (created with parents) with the given ownership and mode. */
export function directory(args: Ownership & { path: string }): Op {
  const fact = fileInfo(args.path);
  return {
    label: `directory ${args.path}`,
    facts: [fact],
    async plan(ctx) {
      const info = await ctx.fact(fact);
      if (!info.exists) {
        return change({ summary: `create directory ${args.path}${describeOwnership(args)}` }, async (c) => {
          await c.run(joinCommands([sh`mkdir -p ${args.path}`, ...ownershipCommands(args.path, args)], ' && '));
        });
      }
      // refused while planning, so that --check fails as the apply would
      if (info.type !== 'directory') throw new Error(`${args.path} is a ${info.type}, not a directory: refusing to replace it`);
      const attrs = ownershipChanges(info, args);
      if (attrs.length === 0) return ok(`directory ${args.path} exists${describeOwnership(args)}`);
      return change({ summary: `${args.path}: ${attrs.join(', ')}` }, async (c) => {
        await c.run(joinCommands(ownershipCommands(args.path, args), ' && '));
      });
    },
  };
}

/** Nothing at `path` (a file, link or empty directory; `recursive` for trees). */
export function absent(args: { path: string; recursive?: boolean }): Op {
  const fact = fileInfo(args.path);
  return {
    label: `absent ${args.path}`,
    facts: [fact],
    async plan(ctx) {
      const info = await ctx.fact(fact);
      if (!info.exists) return ok(`${args.path} is already absent`);
      const diff = info.type === 'file' ? fileDiff(args.path, info.content ?? TOO_LARGE, null) : undefined;
      return change({ summary: `remove ${info.type} ${args.path}`, diff }, async (c) => {
        await c.run(args.recursive ? sh`rm -rf -- ${args.path}` : info.type === 'directory' ? sh`rmdir -- ${args.path}` : sh`rm -f -- ${args.path}`);
      });
    },
  };
}

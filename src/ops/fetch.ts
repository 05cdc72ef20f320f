import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { fileInfo } from '../facts/builtin.js';
import { expandHome } from '../inventory/controller-path.js';
import { sh } from '../shell/quote.js';
import { change, ok, type Op } from './op.js';

async function localFile(path: string): Promise<{ sha256: string; mode: number } | undefined> {
  try {
    const [data, st] = await Promise.all([readFile(path), stat(path)]);
    return { sha256: createHash('sha256').update(data).digest('hex'), mode: st.mode & 0o777 };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * A file of the host copied to the controller (Ansible's `fetch`), e.g. a
 * kubeconfig. Planned from the remote file's checksum (a fact) against the
 * local copy; never diffed (such files hold credentials). Written atomically
 * with `mode` (default 0600). A remote file that does not exist yet (made by
 * an earlier task that check mode did not run) is planned as a fetch and
 * fails at apply time if it is still missing.
 */
export function fetchFile(given: { path: string; dest: string; mode?: number }): Op {
  const args = { ...given, dest: expandHome(given.dest) }; // ~/.kube/x: the home directory, not ./~
  const remote = fileInfo(args.path);
  const mode = args.mode ?? 0o600;
  const shownMode = mode.toString(8).padStart(4, '0');
  return {
    label: `fetch ${args.path}`,
    facts: [remote],
    async plan(ctx) {
      const [info, local] = await Promise.all([ctx.fact(remote), localFile(args.dest)]);
      const what = `${ctx.host.name}:${args.path} → ${args.dest} (${shownMode}, on the controller)`;
      // refused while planning, so that --check fails as the apply would
      if (info.exists && info.type !== 'file') throw new Error(`${args.path} on ${ctx.host.name} is a ${info.type}, not a file`);
      if (info.exists && local !== undefined && local.sha256 === info.sha256 && local.mode === mode) return ok(`${args.dest} is ${ctx.host.name}:${args.path}`);
      const summary = !info.exists ? `fetch ${what} once it exists` : local ? `update ${args.dest} from ${ctx.host.name}:${args.path} (${shownMode})` : `fetch ${what}`;
      return change({ summary }, async (c) => {
        const { stdout } = await c.run(sh`base64 -w0 < ${args.path}`);
        const data = Buffer.from(stdout.trim(), 'base64');
        await mkdir(dirname(args.dest), { recursive: true });
        const tmp = join(dirname(args.dest), `.${basename(args.dest)}.lwtmp.${randomBytes(6).toString('hex')}`);
        try {
          await writeFile(tmp, data, { mode });
          await chmod(tmp, mode);
          await rename(tmp, args.dest);
        } finally {
          await rm(tmp, { force: true });
        }
      });
    },
  };
}

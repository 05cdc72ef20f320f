import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ExecOptions } from '../connection/types.js';
import { UnreachableError } from '../errors.js';
import { Command, joinCommands, sh } from '../shell/quote.js';
import { BOOT_ROLLBACK_UNIT, BOOT_SCRIPT, installBootRollback, UNCONFIRMED } from './boot-rollback.js';
import { combinePlans, type Op, type OpContext, type Plan } from './op.js';

export interface GuardedArgs {
  label: string;
  /** File operations that stage the new configuration (harmless by themselves). */
  stage: readonly Op[];
  /** The files `stage` writes: backed up before, restored on rollback. */
  paths: readonly string[];
  /** Puts the staged configuration live; may cut the controller's connection. */
  activate: Command;
  /**
   * What the rollback runs after putting the files back (default: `activate`
   * again, which must then make the live state follow the files in place).
   */
  rollback?: Command;
  /** Seconds after which the old configuration comes back unless confirmed. */
  rollbackAfterSec: number;
  /** State directory on the host for backups. */
  stateDir?: string;
}

/**
 * A change that could lock the controller out (network config, firewall):
 * 1. back up the files, 2. arm a systemd timer that restores them and
 * re-activates, 3. write the new files, 4. activate detached (systemd-run, so
 * it completes even if this session drops), 5. confirm over a NEW connection,
 * 6. only then cancel the rollback. If no new connection can be made, the
 * timer restores the old configuration and the task fails saying so.
 */
/**
 * `work`, or an UnreachableError after `ms` if it has not settled: a connection
 * the change cut (or a new one into a black hole) must not eat the
 * confirmation window. The abandoned work finishes or fails on its own.
 */
function within<T>(work: Promise<T>, ms: number, host: string, what: string): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnreachableError(host, `no answer within ${Math.round(ms / 100) / 10}s (${what})`)), Math.max(0, ms));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function guarded(args: GuardedArgs): Op {
  const id = createHash('sha256').update(args.label).digest('hex').slice(0, 10);
  const rollbackUnit = `labwright-rollback-${id}`;
  const activateUnit = `labwright-activate-${id}`;
  const stateDir = args.stateDir ?? '/var/lib/labwright';
  const backupDir = posix.join(stateDir, 'rollback', id);
  const backupOf = (p: string) => posix.join(backupDir, p.replace(/\//g, '%'));
  /** Written first by the rollback ("timer" or "boot"), so a confirmation that only got through because of it is not taken for success. */
  const rolledBackMarker = posix.join(backupDir, '.rolled-back');
  /** There from before the first file is written until the change is confirmed or rolled back: a boot finding it rolls back. */
  const unconfirmed = posix.join(backupDir, UNCONFIRMED);

  const restore = joinCommands(
    // `true` first: with no files the script must still be valid sh ("a; ; b" is not)
    [sh`true`, ...args.paths.map((p) => sh`if [ -e ${backupOf(p)} ]; then cp -a ${backupOf(p)} ${p}; else rm -f ${p}; fi`)],
    '; ',
  );
  // at boot nothing is up yet: putting the files back is enough (Netplan's generator has already run, so generate again)
  const bootRollback = joinCommands(
    [sh`printf boot > ${rolledBackMarker}`, restore, ...(args.paths.some((p) => p.startsWith('/etc/netplan/')) ? [sh`netplan generate`] : []), sh`rm -f ${unconfirmed}`],
    '; ',
  );
  const backup = joinCommands(
    [
      installBootRollback(stateDir),
      sh`rm -rf ${backupDir} && mkdir -p ${backupDir}`,
      ...args.paths.map((p) => sh`if [ -e ${p} ]; then cp -a ${p} ${backupOf(p)}; fi`),
      sh`printf '%s\n' ${bootRollback.text} > ${posix.join(backupDir, BOOT_SCRIPT)}`,
    ],
    ' && ',
  );
  const script = (cmd: Command) => sh`sh -c ${cmd.text}`;

  async function apply(ctx: OpContext, staged: Plan) {
    // Never disarm another run's rollback, nor back up its unconfirmed files as the previous configuration.
    const pending = await ctx.run(
      sh`if [ -e ${unconfirmed} ]; then if systemctl is-active --quiet ${`${rollbackUnit}.timer`}; then echo armed; else echo stale; fi; exit 0; fi; systemctl stop ${`${rollbackUnit}.timer`} ${`${rollbackUnit}.service`} ${`${activateUnit}.service`} 2>/dev/null; systemctl reset-failed ${rollbackUnit} ${activateUnit} 2>/dev/null; true`,
    );
    const found = pending.stdout.trim();
    if (found === 'armed') {
      throw new Error(`another change of ${args.label} is in its confirmation window (${rollbackUnit}.timer is armed): not touched; run again once it is confirmed or rolled back`);
    }
    if (found === 'stale') {
      throw new Error(
        `an earlier change of ${args.label} was never confirmed nor rolled back (${unconfirmed} is there, no timer): the files in ${backupDir} are the last confirmed configuration; put them back with \`sh ${posix.join(backupDir, BOOT_SCRIPT)}\` (or confirm the live one by removing ${unconfirmed}), then run again`,
      );
    }
    await ctx.run(backup);
    // marked unconfirmed only once the timer is armed: a run killed in between leaves nothing that looks pending
    await ctx.run(
      sh`systemd-run --quiet --unit=${rollbackUnit} --on-active=${args.rollbackAfterSec} --timer-property=AccuracySec=1s ${script(
        joinCommands([sh`printf timer > ${rolledBackMarker}`, restore, sh`rm -f ${unconfirmed}`, args.rollback ?? args.activate], '; '),
      )} && date +%s > ${unconfirmed}`,
    );
    const armedAt = Date.now();
    const disarm = sh`systemctl stop ${`${rollbackUnit}.timer`}; systemctl reset-failed ${rollbackUnit} 2>/dev/null; rm -f ${unconfirmed}; true`;
    /** What rolled the change back: the timer, the boot unit, or nothing. */
    const rolledBack = async () => {
      const by = (await ctx.run(sh`cat ${rolledBackMarker} 2>/dev/null || echo no`)).stdout.trim();
      return by === 'no' ? undefined : by;
    };
    const byBoot = `the host restarted before the change was confirmed: ${BOOT_ROLLBACK_UNIT} put the previous configuration back at boot`;
    if (staged.kind !== 'ok') {
      try {
        await staged.apply(ctx);
      } catch (e) {
        // nothing was activated (e.g. a validator refused a new file): put back any file already written, the old configuration stays live
        await ctx.run(joinCommands([disarm, restore], '; ')).catch(() => undefined);
        throw e;
      }
    }
    await ctx.run(sh`systemd-run --quiet --unit=${activateUnit} --service-type=oneshot --no-block ${script(args.activate)}`);
    const confirmBy = Date.now() + args.rollbackAfterSec * 1000 - 5000;
    const activation = async (opts?: ExecOptions) => {
      // key=value: `--value` prints in systemd's own property order, not the order asked for
      const state = await ctx.run(sh`systemctl show -p ActiveState,Result ${`${activateUnit}.service`}`, opts);
      const props = Object.fromEntries(state.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      return { active: props.ActiveState, result: props.Result };
    };
    const host = ctx.host.name;
    // each new connection gets the connect timeout, and never more than what is left of the window
    const connectBound = (until: number) => Math.min(ctx.host.connection.connectTimeoutMs + 1000, until - Date.now());
    const reconnect = (until: number) => within(ctx.reconnect(), connectBound(until), host, 'opening a new connection');
    // Open the confirming connection only once the activation has finished: a connection opened
    // earlier is let in by the old configuration and then kept by connection tracking, proving nothing.
    // Asked over the old connection, each question bounded: a connection the change cut never answers.
    while (Date.now() < confirmBy) {
      const state = await within(activation({ timeoutMs: 5000 }), Math.min(5000, confirmBy - Date.now()), host, 'the old connection').catch(() => undefined);
      if (state?.active !== 'activating') break; // finished, or this connection was cut by the change
      await new Promise((r) => setTimeout(r, 300));
    }
    let lastError = '';
    while (Date.now() < confirmBy) {
      try {
        await reconnect(confirmBy);
        const { active, result } = await within(activation(), Math.max(5000, confirmBy - Date.now()), host, 'the new connection');
        if (active === 'activating') {
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        if (result !== 'success') {
          await ctx.run(sh`systemctl start ${`${rollbackUnit}.service`}`);
          await ctx.run(disarm);
          const log = await ctx.run(sh`journalctl -u ${`${activateUnit}.service`} -n 20 --no-pager -o cat || true`);
          throw new Error(`activating the new configuration failed (rolled back): ${args.activate.shown}\n${log.stdout.trim()}`);
        }
        await ctx.run(disarm);
        const by = await rolledBack();
        if (by === 'boot') throw new Error(`${byBoot}; rolled back, the previous configuration is live again`);
        if (by) {
          throw new Error(
            `the new connection got through only after ${rollbackUnit}.timer had fired: rolled back, the previous configuration is live again`,
          );
        }
        return;
      } catch (e) {
        if (!(e instanceof UnreachableError)) throw e;
        lastError = e.message;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    // Not confirmed: the timer restores the previous configuration. Wait for it and check over a new connection.
    const failure = `no new connection could be made within ${args.rollbackAfterSec}s after the change (${lastError})`;
    const giveUpAt = armedAt + args.rollbackAfterSec * 1000 + 60_000;
    await new Promise((r) => setTimeout(r, Math.max(0, armedAt + args.rollbackAfterSec * 1000 + 2000 - Date.now())));
    while (Date.now() < giveUpAt) {
      try {
        await reconnect(giveUpAt);
        const by = await rolledBack();
        if (by === 'boot') throw new Error(`${failure}: ${byBoot}; rolled back, the previous configuration is live again and the host answers over a new connection`);
        if (by) {
          throw new Error(`${failure}: rolled back by ${rollbackUnit}.timer, the previous configuration is live again and the host answers over a new connection`);
        }
        await new Promise((r) => setTimeout(r, 1000));
      } catch (e) {
        if (!(e instanceof UnreachableError)) throw e;
        lastError = e.message;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    throw new Error(`${failure}; ${rollbackUnit}.timer was due to restore the previous configuration, but the host still does not answer (${lastError})`);
  }

  return {
    label: args.label,
    facts: args.stage.flatMap((o) => o.facts),
    async plan(ctx) {
      const staged = combinePlans(await Promise.all(args.stage.map((o) => o.plan(ctx))));
      if (staged.kind === 'ok') return staged;
      return {
        kind: 'change',
        changes: [...staged.changes, { summary: `activate with automatic rollback after ${args.rollbackAfterSec}s unless confirmed over a new connection` }],
        apply: (c) => apply(c, staged),
      };
    },
  };
}

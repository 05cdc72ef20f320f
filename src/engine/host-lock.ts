import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Connection } from '../connection/types.js';
import type { Host } from '../inventory/types.js';
import { Command, sh } from '../shell/quote.js';

/** How long a second run waits for the lock before it fails the host. */
export const LOCK_WAIT_MS = 10_000;
/** A lock not renewed for this long is free (a controller that vanished without closing its connection). */
export const LOCK_LEASE_SEC = 120;
const RENEW_EVERY_MS = 20_000;
const COMMAND_BOUND_MS = 15_000;

function stateDir(host: Host): string {
  const dir = host.vars.labwright_state_dir;
  return typeof dir === 'string' && dir ? dir : '/var/lib/labwright';
}

/**
 * Where the lock lives on the host: in /run/labwright as root (a tmpfs: never
 * full because the state directory's disk is, and empty after a reboot),
 * else in the state directory. One lock per state directory.
 */
export function lockLocation(host: Host): { runDir: string; stateDir: string; name: string } {
  const dir = stateDir(host);
  return { runDir: '/run/labwright', stateDir: dir, name: `run-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}.lock` };
}

/** Every host of one run shares one token: two inventory names for the same machine do not lock each other out. */
const tokens = new WeakMap<object, string>();
export function runToken(run: object): string {
  let t = tokens.get(run);
  if (!t) tokens.set(run, (t = randomBytes(8).toString('hex')));
  return t;
}

/**
 * The script behind every lock step, run under `flock` on the state
 * directory. The lock file holds one line: token, boot id, lease end (host
 * clock), the pid of the sshd process of the holder's connection (0 without
 * one), and who holds it. A lock of another token is held while
 * - the host has not rebooted since (same boot id), and
 * - its lease runs and its sshd process lives (a controller killed by
 *   SIGKILL closes its TCP connection: sshd exits and the lock is free at
 *   once; one cut off without a FIN frees it when the lease ends), or
 * - a guarded change is in its confirmation window (an armed
 *   labwright-rollback-*.timer): its run may be reconnecting, and nobody may
 *   touch the host until the change is confirmed or rolled back.
 * A lock step that starts after its run's connection closed (sent just before
 * the controller was SIGKILLed) writes nothing: else it would take the lock
 * for a dead run with no session to watch, and the host would stay locked for
 * the lease. Over ssh that is any step with no sshd above it (its session
 * process is gone, or went while the step looked for it); over a local
 * connection, one whose outermost wrapper (`sudo` or `timeout`) is now a
 * child of init, or whose parent vanished while it looked.
 */
function lockScript(where: ReturnType<typeof lockLocation>, token: string, mode: 'acquire' | 'renew' | 'release', info: string, overSsh: boolean): Command {
  const prelude = sh`if [ "$(id -u)" = 0 ]; then d=${where.runDir}; else d=${where.stateDir}; fi; f="$d"/${where.name}
mkdir -p "$d" && exec 9<"$d" && flock -w 5 9 || { echo "cannot lock $d as $(id -un): become root (-b, ansible_become) or set labwright_state_dir to a directory $(id -un) can write"; exit 1; }
now=$(date +%s); boot=$(cat /proc/sys/kernel/random/boot_id)
is_sshd() { case "$(cat /proc/$1/comm 2>/dev/null)" in sshd*|dropbear*) return 0;; esac; return 1; }
s=0; p=$$; top=; while [ "\${p:-0}" -gt 1 ]; do if is_sshd "$p"; then s=$p; break; fi; top=$p; p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null); done
orphaned() { [ "$s" = 0 ] && { [ ${overSsh ? 1 : 0} = 1 ] || [ -z "$p" ] || { [ "$p" = 1 ] && case "$(cat /proc/$top/comm 2>/dev/null)" in timeout|sudo) true;; *) false;; esac; }; }; }
t=; b=; e=0; h=0; who=; if [ -s "$f" ]; then read -r t b e h who < "$f"; fi
take() { if orphaned; then echo "orphaned: the run that sent this is gone"; exit 1; fi; printf '%s %s %s %s %s\\n' ${token} "$boot" $((now + ${LOCK_LEASE_SEC})) "$s" ${info} > "$f.tmp" && mv -f "$f.tmp" "$f"; }`;
  const held = sh`[ -n "$t" ] && [ "$t" != ${token} ] && [ "$b" = "$boot" ] && { { [ "$e" -gt "$now" ] && { [ "$h" = 0 ] || is_sshd "$h"; }; } || systemctl list-units --state=active --no-legend --plain 'labwright-rollback-*.timer' 2>/dev/null | grep -q .; }`;
  const body =
    mode === 'acquire'
      ? sh`if ${held}; then echo "held $who"; else take && echo acquired; fi`
      : mode === 'renew'
        ? sh`if [ -n "$t" ] && [ "$t" != ${token} ]; then echo "lost $who"; else take && echo renewed; fi`
        : sh`if [ "$t" = ${token} ]; then rm -f "$f"; fi; echo released`;
  return new Command(`${prelude.text}\n${body.text}`, `labwright run lock (${mode}) ${where.runDir}/${where.name}`);
}

/** Settles with `work`, or rejects after `ms` even if the connection never answers (a dead one is not waited for). */
function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000}s`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * One run's lock on one host, held from the first connection to the end of
 * the run (renewed meanwhile, and over each new connection): a second run
 * waits briefly, then fails the host saying who holds it.
 */
export class HostLock {
  readonly #info = `pid ${process.pid} on ${hostname()}, started at ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`;
  readonly #where: ReturnType<typeof lockLocation>;
  #renewing?: NodeJS.Timeout;
  #inFlight = false;
  #held = false;
  /** Set when another run took the lock over (ours had looked dead to it): every later command fails. */
  lost?: Error;

  constructor(
    private readonly host: Host,
    /** Shared by every host of the run (see runToken). */
    private readonly token: string,
    private readonly waitMs = LOCK_WAIT_MS,
  ) {
    this.#where = lockLocation(host);
  }

  async #step(conn: Connection, mode: 'acquire' | 'renew' | 'release'): Promise<string> {
    const cmd = lockScript(this.#where, this.token, mode, this.#info, this.host.connection.kind === 'ssh');
    const r = await bounded(conn.exec(cmd, { become: this.host.connection.become, timeoutMs: COMMAND_BOUND_MS }), COMMAND_BOUND_MS, `${this.host.name}: ${cmd.shown}`);
    if (r.code !== 0) throw new Error(`${this.host.name}: cannot take the run lock (${this.#where.name} in ${this.#where.runDir} or ${this.#where.stateDir}): ${(r.stdout + r.stderr).trim() || `exit ${r.code}`}`);
    return r.stdout.trim();
  }

  /** Takes the lock (waiting up to waitMs), then keeps renewing it over `current()` until release. */
  async acquire(conn: Connection, current: () => Connection): Promise<void> {
    const giveUpAt = Date.now() + this.waitMs;
    for (;;) {
      const answer = await this.#step(conn, 'acquire');
      if (answer === 'acquired') break;
      if (Date.now() >= giveUpAt) {
        throw new Error(`host is being changed by another run (${answer.replace(/^held\s*/, '') || 'unknown holder'})`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    this.#held = true;
    this.#renewing = setInterval(() => void this.renew(current()).catch(() => undefined), RENEW_EVERY_MS);
    this.#renewing.unref();
  }

  /** Renews the lease over `conn` and records its sshd as the holder (after a reconnect: the new connection's). */
  async renew(conn: Connection): Promise<void> {
    if (!this.#held || this.#inFlight || this.lost) return;
    this.#inFlight = true;
    try {
      const answer = await this.#step(conn, 'renew');
      if (answer.startsWith('lost')) {
        this.lost = new Error(`${this.host.name}: another run took over the host while this one could not reach it (${answer.replace(/^lost\s*/, '')}): stopped`);
      }
    } finally {
      this.#inFlight = false;
    }
  }

  /** Releases the lock (best effort: a host that cannot be reached frees it when its sshd or the lease ends). */
  async release(conn: Connection): Promise<void> {
    clearInterval(this.#renewing);
    if (!this.#held) return;
    this.#held = false;
    await this.#step(conn, 'release').catch(() => undefined);
  }
}

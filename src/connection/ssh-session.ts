import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientChannel } from 'ssh2';
import type { ExecResult } from './types.js';

/**
 * Channel open failure reasons with which a server refuses a session it has no
 * room for: OpenSSH says SSH_OPEN_CONNECT_FAILED (2) "open failed" beyond
 * MaxSessions; others say SSH_OPEN_ADMINISTRATIVELY_PROHIBITED (1).
 */
const SESSION_REFUSALS = new Set<unknown>([1, 2]);
/** Waits of 5, 10, 15… ms between attempts: about 2 s in all. */
const SESSION_OPEN_ATTEMPTS = 28;

/** One command on its own session channel. */
export interface Session {
  /** Everything the command wrote and its exit status, once the channel has closed. */
  readonly result: Promise<ExecResult>;
  /** Closes the channel (if it is open by now). */
  close(): void;
}

/** Runs `command` on a new session channel of `client`, writing `stdin` then EOF. */
export function startSession(client: Client, command: string, stdin?: string | Buffer): Session {
  let channel: ClientChannel | undefined;
  const result = openSession(client, command).then((opened) => {
    channel = opened;
    const collected = collectResult(opened);
    opened.end(stdin);
    return collected;
  });
  return { result, close: () => channel?.close() };
}

/**
 * sshd frees a finished session only after it has read our reply to its
 * channel close, so right after other execs ended it can still refuse a new
 * one ("no more sessions"): wait a little and ask again.
 */
async function openSession(client: Client, command: string): Promise<ClientChannel> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await new Promise<ClientChannel>((resolve, reject) => {
        client.exec(command, (err, channel) => (err ? reject(err) : resolve(channel)));
      });
    } catch (err) {
      const refused = SESSION_REFUSALS.has((err as { reason?: unknown }).reason);
      if (!refused || attempt === SESSION_OPEN_ATTEMPTS) throw err;
      await sleep(attempt * 5);
    }
  }
}

async function collectResult(channel: ClientChannel): Promise<ExecResult> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  channel.on('data', (chunk: Buffer) => stdout.push(chunk));
  channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  // ssh2 passes the exit status to 'close': a number, or null with the signal's name.
  const [[code]] = await Promise.all([once(channel, 'close'), once(channel.stderr, 'end')]);
  return {
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
    code: typeof code === 'number' ? code : null,
  };
}

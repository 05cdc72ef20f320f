/**
 * Connections to jump hosts, shared: every host behind the same bastion (the
 * same route of jump hosts) tunnels through one SSH connection to it, opened
 * by the first host and closed when the last one closes.
 */
import type { Duplex } from 'node:stream';
import { UnreachableError } from '../errors.js';
import type { JumpHop } from './types.js';

/** An SSH connection to a jump host that can open a direct-tcpip channel (ssh -W). */
export interface Bastion {
  open(): Promise<void>;
  forwardOut(address: string, port: number): Promise<Duplex>;
  close(): Promise<void>;
  /** True once the connection is gone (a later tunnel opens a new one). */
  readonly lost: boolean;
}

/** A channel to the host through its last jump host; release() when the host's connection is closed. */
export interface Tunnel {
  readonly stream: Duplex;
  release(): Promise<void>;
}

interface Shared {
  bastion: Bastion;
  users: number;
}

export class BastionPool {
  readonly #shared = new Map<string, Shared>();

  /** `create(hop, before)`: the connection to `hop`, itself reached through the hops `before` it. */
  constructor(private readonly create: (hop: JumpHop, before: readonly JumpHop[]) => Bastion) {}

  /** Number of open jump host connections (for tests). */
  get size(): number {
    return this.#shared.size;
  }

  /**
   * A channel to `address:port` through the route `via`. Rejects with an
   * Error whose message names the hop that failed: "via gw1: …".
   */
  async tunnel(via: readonly JumpHop[], address: string, port: number): Promise<Tunnel> {
    const last = via.at(-1)!;
    const key = JSON.stringify(
      via.map(({ name, spec }) => [name, spec.address, spec.port, spec.user, spec.privateKeyFile, spec.identityFiles, spec.knownHostsFile, spec.hostKeyChecking]),
    );
    let shared = this.#shared.get(key);
    if (!shared || shared.bastion.lost) {
      shared = { bastion: this.create(last, via.slice(0, -1)), users: 0 };
      this.#shared.set(key, shared);
    }
    const entry = shared;
    entry.users++;
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      if (this.#shared.get(key) === entry) this.#shared.delete(key);
      await entry.bastion.close();
    };
    try {
      await entry.bastion.open();
    } catch (err) {
      await release();
      throw new Error(hopReason(last.name, err as Error));
    }
    try {
      return { stream: await entry.bastion.forwardOut(address, port), release };
    } catch (err) {
      await release();
      const why = (err as Error).message.replace(/^\(SSH\) Channel open failure: /, '');
      throw new Error(`via ${last.name}: ${last.name} cannot open a connection to ${address}:${port} (${why})`);
    }
  }
}

/** "via gw1: <why gw1 failed>", or the deeper hop's own "via …" reason as it is. */
function hopReason(hop: string, err: Error): string {
  const reason = err instanceof UnreachableError ? err.message.replace(`${err.host}: unreachable: `, '') : err.message;
  return reason.startsWith('via ') ? reason : `via ${hop}: ${reason}`;
}

import type { ExecResult } from '../../src/connection/types.js';
import type { Fact } from '../../src/facts/fact.js';
import type { Host } from '../../src/inventory/types.js';
import type { OpContext } from '../../src/ops/op.js';
import type { Command } from '../../src/shell/quote.js';
import type { DanceIo } from './dance.js';
import { DNSMASQ_LABEL, macPaths, macosPlatform, SOCKET_VMNET_LABEL } from './platform-macos.js';

/**
 * A scripted Mac for the dance's unit tests (a test double: macOS cannot run
 * here). It answers the macOS platform's facts with text in each tool's own
 * format (ifconfig -v, lsof -F, launchctl print), so the real parsers run,
 * and it understands exactly the platform's commands; anything else throws.
 * What it models, and no more:
 * - socket_vmnet loaded by launchctl creates its bridge `bridgeDelayMs` later
 *   (never, with `neverCreatesBridge`); unloading destroys it
 * - mDNSResponder holds the wildcard *:53 once vmnet runs, or — `mdns: 'gateway'`
 *   — binds the gateway address itself when the bridge appears
 * - `brew services restart dnsmasq` returns 0 whatever happens (launchd), and
 *   dnsmasq binds gateway:53 and *:67 on the bridge that exists then; it fails
 *   ("unknown interface") without a bridge, ("Address already in use") when
 *   someone else holds gateway:53, or always with `dnsmasqFails`
 * - a recreated bridge (`recreateBridge`) keeps its name and gets a new index
 *   and generation; dnsmasq's sockets stay listed but serve the old one
 */
export interface ScriptedMacOptions {
  gateway: string;
  prefix?: string;
  macos?: string;
  /** socket_vmnet knows --vmnet-disable-dhcp. */
  disableDhcpOption?: boolean;
  bridgeDelayMs?: number;
  neverCreatesBridge?: boolean;
  mdns?: 'wildcard' | 'gateway';
  dnsmasqFails?: string;
  /** dnsmasq answers DNS (port 53); false models `port=0`: it binds only *:67. */
  dnsmasqDns?: boolean;
}

interface Bridge {
  name: string;
  index: number;
  generation: number;
}

const platform = macosPlatform();

export class ScriptedMac {
  /** What the dance did while applying, in order: `read: …`, `run: …`, `pause: …`. */
  readonly log: string[] = [];
  now = 0;
  bridge?: Bridge;
  readonly vmnet = { loaded: false, running: false, pid: 0, since: 0 };
  readonly dnsmasq = { loaded: false, running: false, pid: 0, servesGeneration: undefined as number | undefined, log: [] as string[] };
  /** mDNSResponder's own binding of gateway:53 (mdns: 'gateway'). */
  mdnsOnGateway = false;
  readonly files = new Map<string, string>();
  #generation = 0;
  #index = 20;
  #pid = 1000;
  readonly opts: Required<Omit<ScriptedMacOptions, 'dnsmasqFails'>> & { dnsmasqFails?: string };

  constructor(opts: ScriptedMacOptions) {
    this.opts = { prefix: '/opt/homebrew', macos: '15.5', disableDhcpOption: false, bridgeDelayMs: 0, neverCreatesBridge: false, mdns: 'wildcard', dnsmasqDns: true, ...opts };
  }

  get paths() {
    return macPaths(this.opts.prefix);
  }

  /** socket_vmnet's bridge comes up once its delay has passed. */
  #tick(): void {
    if (this.vmnet.running && !this.bridge && !this.opts.neverCreatesBridge && this.now - this.vmnet.since >= this.opts.bridgeDelayMs) {
      this.bridge = { name: 'bridge100', index: ++this.#index, generation: ++this.#generation };
      if (this.opts.mdns === 'gateway') this.mdnsOnGateway = true;
    }
  }

  /** socket_vmnet restarted behind the role's back (crash, KeepAlive): same name, new interface. */
  recreateBridge(): void {
    this.bridge = { name: 'bridge100', index: ++this.#index, generation: ++this.#generation };
  }

  /** Already set up: socket_vmnet loaded from `definitionSha`, bridge up, dnsmasq serving it. */
  alreadyUp(definitionSha: string, stateDir: string): void {
    Object.assign(this.vmnet, { loaded: true, running: true, pid: ++this.#pid, since: this.now });
    this.#tick();
    this.files.set(`${stateDir}/vmnet-definition`, definitionSha);
    this.files.set(`${stateDir}/bridge`, `${this.bridge!.name} index ${this.bridge!.index} generation ${this.bridge!.generation}`);
    Object.assign(this.dnsmasq, { loaded: true, running: true, pid: ++this.#pid, servesGeneration: this.bridge!.generation });
  }

  #ifconfig(): string {
    const lines = [
      'lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384 index 1',
      '\tinet 127.0.0.1 netmask 0xff000000',
      '\tgeneration id: 1',
      'en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500 index 11',
      '\tether 3c:22:fb:00:00:01',
      '\tinet 192.0.2.10 netmask 0xffffff00 broadcast 192.0.2.255',
      '\tgeneration id: 2',
    ];
    if (this.bridge) {
      lines.push(
        `${this.bridge.name}: flags=8a63<UP,BROADCAST,SMART,RUNNING,ALLMULTI,SIMPLEX,MULTICAST> mtu 1500 index ${this.bridge.index}`,
        '\tether 16:7d:da:5f:61:64',
        `\tinet ${this.opts.gateway} netmask 0xffffff00 broadcast ${this.opts.gateway.replace(/\.\d+$/, '.255')}`,
        `\tinet6 fe80::147d:daff:fe5f:6164%${this.bridge.name} prefixlen 64 scopeid 0x${this.bridge.index.toString(16)}`,
        '\tConfiguration:',
        '\t\tid 0:0:0:0:0:0 priority 0 hellotime 0 fwddelay 0',
        '\tmember: vmenet0 flags=3<LEARNING,DISCOVER>',
        '\tstatus: active',
        `\tgeneration id: ${this.bridge.generation}`,
        '\ttype: Ethernet',
      );
    }
    return `${lines.join('\n')}\n`;
  }

  #lsof(): { stdout: string; code: number } {
    const out: string[] = [];
    if (this.vmnet.running) out.push('p301', 'cmDNSResponder', 'f25', 'n*:53');
    if (this.mdnsOnGateway) out.push('f31', `n${this.opts.gateway}:53`);
    if (this.dnsmasq.running && this.dnsmasq.servesGeneration !== undefined) {
      out.push(`p${this.dnsmasq.pid}`, 'cdnsmasq');
      if (this.opts.dnsmasqDns) out.push('f4', `n${this.opts.gateway}:53`, 'f6', 'n127.0.0.1:53');
      out.push('f8', 'n*:67');
    }
    return { stdout: out.length ? `${out.join('\n')}\n` : '', code: out.length ? 0 : 1 };
  }

  #launchctl(label: string, loaded: boolean, running: boolean, pid: number): { stdout: string; code: number } {
    if (!loaded) return { stdout: '', code: 113 };
    const state = running ? `\tstate = running\n\tpid = ${pid}\n` : '\tstate = not running\n';
    return { stdout: `system/${label} = {\n\tactive count = 1\n\tpath = /Library/LaunchDaemons/${label}.plist\n${state}\tendpoints = {\n\t\tstate = active\n\t}\n}\n`, code: 0 };
  }

  /** The output the Mac would give for a fact's command (plan reads: not logged). */
  answer<T>(fact: Fact<T>): T {
    this.#tick();
    const respond = (stdout: string, code = 0) => fact.parse({ stdout, code });
    const binary = `${this.opts.prefix}/opt/socket_vmnet/bin/socket_vmnet`;
    switch (fact.id) {
      case platform.interfaces.id:
        return respond(this.#ifconfig());
      case platform.udpSockets.id: {
        const { stdout, code } = this.#lsof();
        return respond(stdout, code);
      }
      case platform.vmnetState.id: {
        const r = this.#launchctl(SOCKET_VMNET_LABEL, this.vmnet.loaded, this.vmnet.running, this.vmnet.pid);
        return respond(r.stdout, r.code);
      }
      case platform.dnsmasqState.id: {
        const r = this.#launchctl(DNSMASQ_LABEL, this.dnsmasq.loaded, this.dnsmasq.running, this.dnsmasq.pid);
        return respond(r.stdout, r.code);
      }
      case platform.dnsmasqLog.id:
        return respond(this.dnsmasq.log.slice(-8).join('\n'));
      case 'brew-prefix([])':
        return respond(`${this.opts.prefix}\n`);
      case 'macos-version([])':
        return respond(`${this.opts.macos}\n`);
      case `socket-vmnet-help(${JSON.stringify([binary])})`:
        return respond(`Usage: ${binary} [OPTION]... SOCKET\n--vmnet-gateway=IP\n--vmnet-dhcp-end=IP\n${this.opts.disableDhcpOption ? '--vmnet-disable-dhcp\n' : ''}`);
    }
    const stampPath = /^mac-lab-stamp\(\["(.+)"\]\)$/.exec(fact.id)?.[1];
    if (stampPath) {
      const content = this.files.get(stampPath);
      return content === undefined ? respond('', 1) : respond(`${content}\n`);
    }
    throw new Error(`the scripted Mac cannot answer ${fact.id} (${fact.command.shown})`);
  }

  #restartDnsmasq(): void {
    // `brew services restart` (re)registers the job; launchd starts it whatever comes next
    Object.assign(this.dnsmasq, { loaded: true, pid: ++this.#pid });
    const fail = (line: string) => {
      Object.assign(this.dnsmasq, { running: false, servesGeneration: undefined });
      this.dnsmasq.log.push(line);
    };
    if (this.opts.dnsmasqFails) return fail(this.opts.dnsmasqFails);
    if (!this.bridge) return fail('dnsmasq: unknown interface bridge100');
    if (this.mdnsOnGateway && this.opts.dnsmasqDns) return fail(`dnsmasq: failed to create listening socket for ${this.opts.gateway}: Address already in use`);
    Object.assign(this.dnsmasq, { running: true, servesGeneration: this.bridge.generation });
    this.dnsmasq.log.push(`dnsmasq: started, version 2.91 cachesize 150`, `dnsmasq-dhcp: DHCP, IP range on bridge100`);
  }

  /** Runs one of the platform's commands (or a stamp write); anything else is an error of the dance. */
  exec(cmd: Command): ExecResult {
    this.#tick();
    const ok = { stdout: '', stderr: '', code: 0 };
    switch (cmd.text) {
      case platform.vmnetLoad(this.paths).text:
        if (this.vmnet.loaded) return { stdout: '', stderr: 'Bootstrap failed: 5: Input/output error', code: 5 };
        Object.assign(this.vmnet, { loaded: true, running: true, pid: ++this.#pid, since: this.now });
        this.#tick();
        return ok;
      case platform.vmnetUnload(this.paths).text:
        Object.assign(this.vmnet, { loaded: false, running: false });
        this.bridge = undefined;
        this.mdnsOnGateway = false;
        return ok;
      case platform.vmnetKickstart().text:
        Object.assign(this.vmnet, { running: true, since: this.now });
        return ok;
      case platform.dnsmasqRestart(this.paths).text:
        this.#restartDnsmasq();
        return ok;
    }
    const stampWrite = /^mkdir -p \S+ && printf '%s\\n' ('(?:[^']|'\\'')*'|\S+) > (\S+)$/.exec(cmd.text);
    if (stampWrite) {
      const raw = stampWrite[1]!;
      this.files.set(stampWrite[2]!, raw.startsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw);
      return ok;
    }
    throw new Error(`the scripted Mac does not know the command: ${cmd.shown}`);
  }

  /** The dance's io: every read, command and pause logged. */
  readonly io: DanceIo = {
    read: async (fact) => {
      this.log.push(`read: ${fact.command.shown}`);
      return this.answer(fact);
    },
    run: async (cmd) => {
      this.log.push(`run: ${cmd.shown}`);
      const r = this.exec(cmd);
      if (r.code !== 0) throw new Error(`${cmd.shown}: exit ${r.code}: ${r.stderr}`);
    },
    pause: async (ms) => {
      this.log.push(`pause: ${ms} ms`);
      this.now += ms;
    },
  };

  /** An OpContext for planning on the scripted Mac (reads are not logged; commands are). */
  context(): OpContext {
    return {
      host: { name: 'mac', vars: {}, groups: [], connection: { kind: 'local', address: 'localhost', port: 22, become: true, hostKeyChecking: 'strict', connectTimeoutMs: 1000 } } as unknown as Host,
      fact: async (fact) => this.answer(fact),
      run: async (cmd) => {
        this.log.push(`run: ${cmd.shown}`);
        const r = this.exec(cmd);
        if (r.code !== 0) throw new Error(`${cmd.shown}: exit ${r.code}`);
        return r;
      },
      reconnect: async () => undefined,
    };
  }
}

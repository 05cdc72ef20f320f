/**
 * How each host is reached over SSH, beyond its own connection vars: the
 * OpenSSH client configuration (~/.ssh/config, or `-F file`), the options in
 * `ansible_ssh_common_args` / `ansible_ssh_extra_args`, and jump hosts
 * (ProxyJump, `ssh -W %h:%p` ProxyCommands, `labwright_jump_host`).
 *
 * Precedence is that of the ssh command Ansible runs: the inventory's
 * ansible_port / ansible_user / key file are `-o` options given first, then
 * the ssh args, then the config file; for each keyword the first value wins.
 * The config is looked up by ssh's destination, ansible_host (else the
 * inventory name), and its HostName is where labwright connects.
 *
 * A jump host that is an inventory host (by name, or by address and port)
 * is reached with that host's connection vars and its own jump hosts.
 */
import { homedir, userInfo } from 'node:os';
import path from 'node:path';
import { ParseError } from '../errors.js';
import { parseProxyJump, proxyCommandHop, type HopRequest } from '../connection/proxy.js';
import { parseSshArgv, shellWords, type SshArgs, type SshOption } from '../connection/ssh-args.js';
import { defaultSshConfigFile, SshConfigFiles, type ConfigValue } from '../connection/ssh-config.js';
import type { ConnectionSpec, JumpHop } from '../connection/types.js';
import { setsConnection } from './connection.js';
import { controllerPath } from './controller-path.js';
import type { Host } from './types.js';

export interface ReachOptions {
  /** The ssh client configuration read unless the ssh args give `-F` (default ~/.ssh/config). */
  sshConfigFile?: string;
}

const ARG_KEYS = ['ansible_ssh_common_args', 'ansible_ssh_extra_args'] as const;
const JUMP_KEY = 'labwright_jump_host';
/** More jumps than this on one route is a loop (OpenSSH's config recursion limit). */
const MAX_HOPS = 16;

/** Every ssh host of `hosts` with its reach settings resolved (hosts are replaced in the map). Throws ParseError. */
export function resolveReach(hosts: Map<string, Host>, options: ReachOptions = {}): void {
  const resolver = new ReachResolver(hosts, options.sshConfigFile ?? defaultSshConfigFile());
  const resolved = new Map([...hosts.values()].map((host) => [host.name, resolver.host(host.name)] as const));
  for (const [name, connection] of resolved) hosts.set(name, { ...hosts.get(name)!, connection });
}

/** What a command line and a config file say about one destination. */
interface Endpoint {
  address: string;
  port?: number;
  user?: string;
  identityFiles: string[];
  identitiesOnly?: boolean;
  proxy?: Proxy;
}

/** An ssh option and where the inventory set it (for messages). */
type PlacedOption = SshOption & { where?: string };

interface Proxy {
  keyword: 'proxyjump' | 'proxycommand';
  value: string;
  where: string;
}

class ReachResolver {
  readonly #files = new SshConfigFiles();
  readonly #done = new Map<string, ConnectionSpec>();
  /** Hosts being resolved: meeting one again is a loop of jump hosts. */
  readonly #resolving: string[] = [];

  constructor(
    private readonly hosts: ReadonlyMap<string, Host>,
    private readonly defaultConfig: string,
  ) {}

  host(name: string): ConnectionSpec {
    const done = this.#done.get(name);
    if (done) return done;
    const host = this.hosts.get(name)!;
    if (host.connection.kind !== 'ssh') return host.connection;
    if (this.#resolving.includes(name)) {
      throw new ParseError(`jump hosts loop: ${[...this.#resolving, name].join(' -> ')} (each is reached through the next one)`);
    }
    this.#resolving.push(name);
    try {
      const spec = this.#resolveHost(host);
      this.#done.set(name, spec);
      return spec;
    } finally {
      this.#resolving.pop();
    }
  }

  #resolveHost(host: Host): ConnectionSpec {
    const base = host.connection;
    const args = this.#sshArgs(host);
    const configFile = args.configFile ?? this.defaultConfig;
    const where = (key: string) => `${host.name}: ${host.origin?.([key]) ?? 'inventory'}: ${key}`;
    const endpoint = this.#endpoint(base.address, args.options, configFile, host.name);
    const explicit = host.vars;
    const spec: ConnectionSpec = {
      ...base,
      address: endpoint.address,
      port: setsConnection(explicit, 'port') ? base.port : (endpoint.port ?? base.port),
      // the inventory's user, else -u, else ssh_config's User (Ansible passes -u as `-o User=`)
      user: base.user ?? endpoint.user,
      ...(endpoint.identityFiles.length > 0 ? { identityFiles: endpoint.identityFiles } : {}),
      ...(endpoint.identitiesOnly !== undefined ? { identitiesOnly: endpoint.identitiesOnly } : {}),
    };
    const jump = explicit[JUMP_KEY];
    let hops: HopRequest[] = [];
    let hopContext: string;
    if (jump !== undefined) {
      hopContext = where(JUMP_KEY);
      if (typeof jump !== 'string') throw new ParseError(`${hopContext}: expected a jump host ([user@]host[:port], an inventory host, or a comma list), got ${typeof jump}`);
      hops = this.#proxyHops({ keyword: 'proxyjump', value: jump, where: hopContext }, configFile);
    } else if (endpoint.proxy) {
      hopContext = endpoint.proxy.where;
      hops = this.#proxyHops(endpoint.proxy, configFile, spec.user);
    } else {
      return spec;
    }
    // A group-wide jump host covers the jump host too: ssh reaches it through
    // a connection to itself (the jump's own ssh has no jump); labwright connects directly.
    const others = hops.filter((hop) => this.#inventoryHost(hop.target.host, hop.target.port)?.name !== host.name);
    const via = this.#route(others, spec, hopContext);
    return via.length > 0 ? { ...spec, via } : spec;
  }

  /** The ssh options in a host's ansible_ssh_common_args then ansible_ssh_extra_args, paths made absolute. */
  #sshArgs(host: Host): { configFile?: string; options: PlacedOption[] } {
    let configFile: string | undefined;
    const options: PlacedOption[] = [];
    for (const key of ARG_KEYS) {
      const value = host.vars[key];
      if (value === undefined || value === null || value === '') continue;
      const location = host.origin?.([key]) ?? 'inventory';
      const fail = (why: string) => new ParseError(`${location}: ${key}: ${why} (host ${host.name})`);
      if (typeof value !== 'string') throw fail(`expected a string of ssh options, got ${typeof value}`);
      if (/\{\{|\{%/.test(value)) throw fail('templates ({{ … }}) in ssh options are not rendered by labwright: write the values out');
      let args: SshArgs;
      try {
        args = parseSshArgv(shellWords(value));
      } catch (err) {
        throw fail((err as Error).message);
      }
      const origin = { location, keyPath: key };
      const where = `${location}: ${key} (host ${host.name})`;
      if (args.configFile !== undefined) configFile = controllerPath(args.configFile, origin);
      options.push(
        ...args.options.map((option) => ({ ...option, where, value: option.keyword === 'identityfile' ? controllerPath(option.value, origin) : option.value })),
      );
    }
    return { configFile, options };
  }

  /**
   * What ssh would use for `destination`: a keyword's first value from the
   * command line, else from the config file. `who` names the host (and hop) in messages.
   */
  #endpoint(destination: string, commandLine: readonly PlacedOption[], configFile: string, who: string): Endpoint {
    let config;
    try {
      config = this.#files.lookup(configFile, destination);
    } catch (err) {
      throw new ParseError(`${who}: ${(err as Error).message}`);
    }
    const given = (keyword: SshOption['keyword']): ConfigValue | undefined => {
      const option = commandLine.find((o) => o.keyword === keyword);
      if (option) return { value: option.value, where: option.where ?? `${who}: ssh option ${keyword}` };
      const found = config.values.get(keyword as never);
      return found && { value: found.value, where: `${who}: ${found.where}` };
    };
    const port = given('port');
    const portNumber = port && Number(port.value);
    if (port && !(Number.isInteger(portNumber) && portNumber! >= 1 && portNumber! <= 65535)) {
      throw new ParseError(`${port.where}: Port ${port.value}: expected an integer port 1-65535`);
    }
    const hostName = given('hostname');
    const address = hostName ? expandTokens(hostName.value, { h: destination }) : destination;
    const user = given('user')?.value;
    const tokens = { h: address, r: user ?? userInfo().username, u: userInfo().username, d: homedir() };
    const identityFiles = [
      ...commandLine.filter((o) => o.keyword === 'identityfile').map((o) => o.value),
      ...config.identityFiles.map((v) => v.value),
    ].map((file) => expandHome(expandTokens(file, tokens)));
    const only = given('identitiesonly')?.value.toLowerCase();
    const proxyOption = commandLine.find((o) => o.keyword === 'proxyjump' || o.keyword === 'proxycommand');
    const proxyKeyword = (proxyOption?.keyword ?? (config.values.has('proxyjump') ? 'proxyjump' : 'proxycommand')) as Proxy['keyword'];
    const proxyValue = given(proxyKeyword);
    return {
      address,
      port: port ? portNumber : undefined,
      user,
      identityFiles,
      identitiesOnly: only === undefined ? undefined : only === 'yes' || only === 'true',
      proxy: proxyValue && { keyword: proxyKeyword, ...proxyValue },
    };
  }

  /**
   * The hops of a ProxyJump / ProxyCommand value; a ProxyCommand other than
   * ssh -W is a ParseError. `user`: the host's remote user, for %r.
   */
  #proxyHops(proxy: Proxy, configFile: string, user?: string): HopRequest[] {
    try {
      if (proxy.keyword === 'proxyjump') {
        // ssh hands its -F on to the ssh it runs for each jump
        return parseProxyJump(proxy.value).map((hop) => ({ ...hop, args: { ...hop.args, configFile } }));
      }
      const hop = proxyCommandHop(proxy.value.replaceAll('%r', user ?? userInfo().username));
      return hop ? [hop] : [];
    } catch (err) {
      throw new ParseError(`${proxy.where}: ${(err as Error).message}`);
    }
  }

  /**
   * The jump hosts through which to reach a host, in connection order. With
   * `a,b`, a is reached as configured (its own jump hosts first) and b
   * through a, as ssh does.
   */
  #route(hops: readonly HopRequest[], target: ConnectionSpec, context: string): JumpHop[] {
    let route: JumpHop[] = [];
    hops.forEach((request, i) => {
      const { hop, own } = this.#hop(request, target, context);
      route = i === 0 ? [...own, hop] : [...route, hop];
    });
    if (route.length > MAX_HOPS) throw new ParseError(`${context}: more than ${MAX_HOPS} jump hosts (a loop of ProxyJump settings?)`);
    return route;
  }

  #hop(request: HopRequest, target: ConnectionSpec, context: string): { hop: JumpHop; own: readonly JumpHop[] } {
    const { target: jump, args } = request;
    const inventoryHost = this.#inventoryHost(jump.host, jump.port);
    const withOptions = (spec: ConnectionSpec): ConnectionSpec => {
      const option = (keyword: SshOption['keyword']) => args.options.find((o) => o.keyword === keyword)?.value;
      const port = jump.port ?? portOption(option('port'), context);
      const keys = args.options.filter((o) => o.keyword === 'identityfile').map((o) => expandHome(o.value));
      return {
        ...spec,
        user: jump.user ?? option('user') ?? spec.user,
        port: port ?? spec.port,
        ...(keys.length > 0 ? { identityFiles: [...keys, ...(spec.identityFiles ?? [])] } : {}),
      };
    };
    if (inventoryHost) {
      const spec = this.host(inventoryHost.name);
      if (spec.kind !== 'ssh') throw new ParseError(`${context}: jump host ${inventoryHost.name} is not reached over ssh (ansible_connection: ${spec.kind})`);
      const { via = [], ...direct } = withOptions(spec);
      return { hop: { name: inventoryHost.name, spec: direct }, own: via };
    }
    if (this.#resolving.length + 1 > MAX_HOPS) throw new ParseError(`${context}: more than ${MAX_HOPS} jump hosts (a loop of ProxyJump settings?)`);
    const configFile = args.configFile === undefined ? this.defaultConfig : expandHome(args.configFile);
    const commandLine: SshOption[] = [
      ...(jump.user ? [{ keyword: 'user' as const, value: jump.user }] : []),
      ...(jump.port ? [{ keyword: 'port' as const, value: String(jump.port) }] : []),
      ...args.options,
    ];
    const endpoint = this.#endpoint(jump.host, commandLine, configFile, `${context}: jump host ${jump.text}`);
    const spec: ConnectionSpec = {
      kind: 'ssh',
      address: endpoint.address,
      port: endpoint.port ?? 22,
      user: endpoint.user,
      ...(endpoint.identityFiles.length > 0 ? { identityFiles: endpoint.identityFiles } : {}),
      ...(endpoint.identitiesOnly !== undefined ? { identitiesOnly: endpoint.identitiesOnly } : {}),
      become: false,
      // every hop's host key is checked like the host's
      hostKeyChecking: target.hostKeyChecking,
      knownHostsFile: target.knownHostsFile,
      connectTimeoutMs: target.connectTimeoutMs,
    };
    this.#resolving.push(jump.text);
    try {
      const own = endpoint.proxy ? this.#route(this.#proxyHops(endpoint.proxy, configFile, spec.user), spec, endpoint.proxy.where) : [];
      return { hop: { name: jump.text, spec }, own };
    } finally {
      this.#resolving.pop();
    }
  }

  /** The inventory host a jump entry names: by inventory name, else the one ssh host at that address and port. */
  #inventoryHost(host: string, port: number | undefined): Host | undefined {
    const named = this.hosts.get(host);
    if (named) return named;
    const at = [...this.hosts.values()].filter(
      (h) => h.connection.kind === 'ssh' && h.connection.address === host && (port === undefined || h.connection.port === port),
    );
    return at.length === 1 ? at[0] : undefined;
  }
}

function portOption(text: string | undefined, context: string): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ParseError(`${context}: port ${text}: expected an integer port 1-65535`);
  return port;
}

/** ssh_config TOKENS: %h, %r, %u, %d, %%. */
function expandTokens(text: string, values: Record<string, string>): string {
  return text.replace(/%([%a-zA-Z])/g, (all, token: string) => (token === '%' ? '%' : (values[token] ?? all)));
}

function expandHome(file: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(homedir(), file.slice(1)) : path.resolve(file);
}

import { OptionsError } from '../errors.js';
import {
  brewPackages,
  debPackages,
  fileInfo,
  interfaces,
  moduleLoaded,
  osRelease,
  pathExists,
  routes,
  sysctlValue,
  unitState,
  userEntry,
} from '../facts/builtin.js';
import type { Fact } from '../facts/fact.js';

interface FactName {
  /** What the argument after `=` is (none: the fact takes none; optional: may be left out). */
  readonly arg?: { readonly name: string; readonly optional?: boolean };
  readonly make: (arg: string | undefined) => Fact<unknown>;
}

/** The built-in facts `labwright exec --fact NAME[=ARG]` prints, by name (src/facts/builtin.ts). */
export const FACT_NAMES: Readonly<Record<string, FactName>> = {
  interfaces: { make: () => interfaces() },
  routes: { arg: { name: 'TABLE', optional: true }, make: (table) => routes(table ?? 'main') },
  os: { make: () => osRelease() },
  sysctl: { arg: { name: 'KEY' }, make: (key) => sysctlValue(key!) },
  unit: { arg: { name: 'UNIT' }, make: (unit) => unitState(unit!) },
  user: { arg: { name: 'NAME' }, make: (name) => userEntry(name!) },
  file: { arg: { name: 'PATH' }, make: (path) => fileInfo(path!) },
  exists: { arg: { name: 'PATH' }, make: (path) => pathExists(path!) },
  module: { arg: { name: 'MODULE' }, make: (name) => moduleLoaded(name!) },
  deb: { arg: { name: 'PKG,PKG…' }, make: (names) => debPackages(names!.split(',').filter(Boolean)) },
  brew: { make: () => brewPackages() },
};

/** `interfaces`, `routes=main`, `sysctl=net.ipv4.ip_forward`: the fact it names; a mistake is an OptionsError (exit 5). */
export function factNamed(spec: string): Fact<unknown> {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? spec : spec.slice(0, eq);
  const arg = eq < 0 ? undefined : spec.slice(eq + 1);
  const known = Object.hasOwn(FACT_NAMES, name) ? FACT_NAMES[name] : undefined;
  if (!known) throw new OptionsError(`--fact ${spec}: no fact named "${name}"`, `the facts are ${factUsage()}`);
  if (!known.arg && arg !== undefined) throw new OptionsError(`--fact ${spec}: ${name} takes no argument`);
  if (known.arg && !known.arg.optional && !arg) throw new OptionsError(`--fact ${spec}: ${name} needs an argument: --fact ${name}=${known.arg.name}`);
  return known.make(arg || undefined);
}

/** The fact names with their arguments, for help texts. */
export function factUsage(): string {
  return Object.entries(FACT_NAMES)
    .map(([name, { arg }]) => (!arg ? name : arg.optional ? `${name}[=${arg.name}]` : `${name}=${arg.name}`))
    .join(', ');
}

import { sh } from '../shell/quote.js';
import { defineFact } from './fact.js';

/** Largest file whose content is read for diffs (bytes). */
export const MAX_DIFF_BYTES = 256 * 1024;

export interface FileInfo {
  exists: boolean;
  type?: 'file' | 'directory' | 'symlink' | 'other';
  owner?: string;
  group?: string;
  /** Permission bits as 4 octal digits, e.g. "0644". */
  mode?: string;
  size?: number;
  sha256?: string;
  /** Content, when a regular file no larger than MAX_DIFF_BYTES. */
  content?: string;
}

const statTypes: Record<string, FileInfo['type']> = {
  'regular file': 'file',
  'regular empty file': 'file',
  directory: 'directory',
  'symbolic link': 'symlink',
};

/** stat + sha256 + content (base64) of a path, in one command. */
export const fileInfo = defineFact('file', (path: string) => ({
  command: sh`if [ -e ${path} ] || [ -L ${path} ]; then stat -c '%U|%G|%a|%s|%F' ${path}; if [ -f ${path} ]; then sha256sum < ${path} | cut -d' ' -f1; s=$(stat -c %s ${path}); if [ "$s" -le ${MAX_DIFF_BYTES} ]; then base64 < ${path} | tr -d '\\n'; echo; fi; fi; else echo absent; fi`,
  parse({ stdout }): FileInfo {
    const [statLine, sha, b64] = stdout.split('\n');
    if (statLine === 'absent') return { exists: false };
    const [owner, group, mode, size, kind] = statLine.split('|');
    return {
      exists: true,
      type: statTypes[kind] ?? 'other',
      owner,
      group,
      mode: mode.padStart(4, '0'),
      size: Number(size),
      sha256: sha || undefined,
      // no content line for a larger file: stdout then ends right after the digest (b64 would be '')
      content: sha && Number(size) <= MAX_DIFF_BYTES ? Buffer.from(b64 ?? '', 'base64').toString('utf8') : undefined,
    };
  },
}));

export const pathExists = defineFact('exists', (path: string) => ({
  command: sh`test -e ${path}`,
  parse: ({ code }) => code === 0,
}));

/** Whether a read-only check command succeeds (exit 0), e.g. an `unless` guard. */
export const commandSucceeds = defineFact('succeeds', (cmd: import('../shell/quote.js').Command) => ({
  command: cmd,
  parse: ({ code }) => code === 0,
}));

export interface OsRelease {
  id: string;
  versionId: string;
  codename: string;
  pretty: string;
}

export const osRelease = defineFact('os', () => ({
  command: sh`cat /etc/os-release`,
  parse({ stdout }): OsRelease {
    const kv = Object.fromEntries(
      stdout
        .split('\n')
        .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2].replace(/^"(.*)"$/, '$1')]),
    );
    return { id: kv.ID ?? '', versionId: kv.VERSION_ID ?? '', codename: kv.VERSION_CODENAME ?? '', pretty: kv.PRETTY_NAME ?? '' };
  },
}));

/** Installed Debian packages among `names` → version. */
export const debPackages = defineFact('deb', (names: readonly string[]) => ({
  command: sh`dpkg-query -W -f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' ${names}`,
  parse({ stdout }): Map<string, string> {
    const installed = new Map<string, string>();
    for (const line of stdout.split('\n')) {
      const [pkg, status, version] = line.split('\t');
      // db:Status-Abbrev: wanted state, current state, error; "ii " and a held "hi " are both installed
      if (pkg && status?.[1] === 'i') installed.set(pkg.split(':')[0], version);
    }
    return installed;
  },
}));

/** Installed Homebrew formulae and casks → version. */
export const brewPackages = defineFact('brew', () => ({
  command: sh`brew list --versions`,
  parse({ stdout }): Map<string, string> {
    return new Map(stdout.split('\n').filter(Boolean).map((l) => {
      const [name, ...versions] = l.split(' ');
      return [name, versions.join(' ')] as [string, string];
    }));
  },
}));

export interface UnitState {
  loaded: boolean;
  active: string;
  enabled: string;
  needsDaemonReload: boolean;
}

export const unitState = defineFact('unit', (unit: string) => ({
  command: sh`systemctl show -p LoadState,ActiveState,UnitFileState,NeedDaemonReload -- ${unit}`,
  parse({ stdout }): UnitState {
    const kv = Object.fromEntries(stdout.split('\n').map((l) => l.split('=', 2)));
    return {
      loaded: kv.LoadState === 'loaded',
      active: kv.ActiveState ?? 'unknown',
      enabled: kv.UnitFileState ?? '',
      needsDaemonReload: kv.NeedDaemonReload === 'yes',
    };
  },
}));

export const sysctlValue = defineFact('sysctl', (key: string) => ({
  command: sh`sysctl -n ${key}`,
  parse: ({ stdout, code }) => (code === 0 ? stdout.trim().split(/\s+/).join(' ') : undefined),
}));

/**
 * Whether a kernel module's code is in the running kernel: loaded (it has a
 * /sys/module entry), built in (listed in modules.builtin: a built-in module
 * without parameters has no /sys/module entry), or, where neither can be
 * read (a container has no /lib/modules of the host's kernel), when
 * `presentIf` exists, a path the module itself creates (such as
 * /proc/sys/net/bridge for br_netfilter).
 */
export const moduleLoaded = defineFact('module', (name: string, presentIf?: string) => ({
  command: presentIf
    ? sh`test -d /sys/module/${name.replace(/-/g, '_')} || grep -qF ${`/${name}.ko`} "/lib/modules/$(uname -r)/modules.builtin" || test -e ${presentIf}`
    : sh`test -d /sys/module/${name.replace(/-/g, '_')} || grep -qF ${`/${name}.ko`} "/lib/modules/$(uname -r)/modules.builtin"`,
  parse: ({ code }) => code === 0,
}));

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export const userEntry = defineFact('user', (name: string) => ({
  command: sh`getent passwd ${name}`,
  parse({ stdout, code }): PasswdEntry | undefined {
    if (code !== 0) return undefined;
    const [n, , uid, gid, , home, shell] = stdout.trim().split(':');
    return { name: n, uid: Number(uid), gid: Number(gid), home, shell };
  },
}));

export interface IpAddress {
  ifname: string;
  mtu: number;
  mac?: string;
  state: string;
  addresses: { family: 'inet' | 'inet6'; local: string; prefixlen: number }[];
}

export const interfaces = defineFact('interfaces', () => ({
  command: sh`ip -j addr show`,
  parse({ stdout }): IpAddress[] {
    const raw = JSON.parse(stdout || '[]') as {
      ifname: string; mtu: number; address?: string; operstate: string;
      addr_info?: { family: 'inet' | 'inet6'; local: string; prefixlen: number }[];
    }[];
    return raw.map((i) => ({
      ifname: i.ifname,
      mtu: i.mtu,
      mac: i.address,
      state: i.operstate,
      addresses: (i.addr_info ?? []).map(({ family, local, prefixlen }) => ({ family, local, prefixlen })),
    }));
  },
}));

export interface Route {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  protocol?: string;
}

export const routes = defineFact('routes', (table: string = 'main') => ({
  command: sh`ip -j route show table ${table}`,
  parse({ stdout }): Route[] {
    return (JSON.parse(stdout || '[]') as Route[]).map(({ dst, gateway, dev, metric, protocol }) => ({
      dst, gateway, dev, metric, protocol,
    }));
  },
}));

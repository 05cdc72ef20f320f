import { fileInfo } from '../../src/facts/builtin.js';
import { defineFact, type Fact } from '../../src/facts/fact.js';
import { absent, file, type Op, type OpContext } from '../../src/ops/index.js';
import { editableText } from '../../src/ops/lines.js';
import { Command, joinCommands, sh } from '../../src/shell/quote.js';

/**
 * Other network managers that would configure a link networkd now manages:
 * ifupdown (Debian's installer leaves `iface enp1s0 inet dhcp` in
 * /etc/network/interfaces) and NetworkManager (Raspberry Pi OS, desktops).
 * At the next boot they would run their DHCP client on a bridge port again.
 * The role either refuses, naming them, or (`take_over: true`) hands the
 * links over: the ifupdown stanza becomes `inet manual`, NetworkManager gets
 * the link in `unmanaged-devices`. Both are files of the guarded change, so a
 * rollback puts them back, and the live step follows the files in place.
 */

export const INTERFACES_FILES = ['/etc/network/interfaces', '/etc/network/interfaces.d/*'];
export const NM_UNMANAGED_PATH = '/etc/NetworkManager/conf.d/90-labwright-unmanaged.conf';
const MARK = '# labwright (role networking)';
/** The files as a shell glob (unquoted on purpose). */
const IFUPDOWN_GLOB = new Command(INTERFACES_FILES.join(' '), INTERFACES_FILES.join(' '));

/** One `iface` stanza header: where, for which link, family and method. */
export interface IfaceLine {
  file: string;
  line: number;
  name: string;
  family: string;
  method: string;
  text: string;
}

export interface OtherManagers {
  /** `iface` lines of ifupdown's files. */
  ifaces: IfaceLine[];
  /** Links ifupdown brings up at boot (`ifquery --list`, `--allow=hotplug`). */
  ifupdownUp: string[];
  /** NetworkManager running: device → state (`nmcli -t -f DEVICE,STATE dev`); undefined when it does not run. */
  nm?: Map<string, string>;
  /** The links our NetworkManager drop-in lists now. */
  nmOurs: string[];
}

export function parseOtherManagers(stdout: string): OtherManagers {
  const out: OtherManagers = { ifaces: [], ifupdownUp: [], nmOurs: [] };
  let section = '';
  for (const raw of stdout.split('\n')) {
    const header = /^@@(\w+)$/.exec(raw);
    if (header) {
      section = header[1]!;
      if (section === 'nm') out.nm = new Map();
      continue;
    }
    if (!raw.trim()) continue;
    if (section === 'iface') {
      const m = /^(.+?):(\d+):(\s*iface\s+(\S+)\s+(\S+)\s+(\S+).*)$/.exec(raw);
      if (m) out.ifaces.push({ file: m[1]!, line: Number(m[2]), text: m[3]!.trim(), name: m[4]!, family: m[5]!, method: m[6]! });
    } else if (section === 'up') {
      out.ifupdownUp.push(raw.trim());
    } else if (section === 'nm') {
      // nmcli -t escapes ":" in values as "\:"
      const m = /^((?:[^:\\]|\\.)+):(.*)$/.exec(raw);
      if (m) out.nm!.set(m[1]!.replace(/\\(.)/g, '$1'), m[2]!);
    } else if (section === 'ours') {
      for (const m of raw.matchAll(/interface-name:([^;\s]+)/g)) out.nmOurs.push(m[1]!);
    }
  }
  return out;
}

/** What ifupdown and NetworkManager say about the links (every part tolerates the tool being absent). */
export const otherManagers = defineFact('network-managers', () => ({
  command: sh`echo @@iface; grep -Hn -E '^[[:space:]]*iface[[:space:]]' ${IFUPDOWN_GLOB} 2>/dev/null; echo @@up; if command -v ifquery >/dev/null 2>&1; then ifquery --list 2>/dev/null; ifquery --list --allow=hotplug 2>/dev/null; fi; if systemctl is-active --quiet NetworkManager 2>/dev/null && command -v nmcli >/dev/null 2>&1; then echo @@nm; nmcli -t -f DEVICE,STATE dev 2>/dev/null; fi; echo @@ours; grep -h '^unmanaged-devices' ${NM_UNMANAGED_PATH} 2>/dev/null; true`,
  parse: ({ stdout }) => parseOtherManagers(stdout),
}));

/** A link another manager also configures, and how. */
export interface Contest {
  link: string;
  by: 'ifupdown' | 'NetworkManager';
  /** For messages: the file line or nmcli state. */
  what: string;
  iface?: IfaceLine;
}

/** The links of ours that ifupdown would configure at boot (any method but `manual`) or NetworkManager manages. */
export function contests(links: readonly string[], m: OtherManagers): Contest[] {
  const out: Contest[] = [];
  const up = new Set(m.ifupdownUp);
  for (const link of links) {
    for (const i of m.ifaces.filter((x) => x.name === link && x.method !== 'manual' && up.has(link))) {
      out.push({ link, by: 'ifupdown', what: `${i.file}:${i.line}: ${i.text}`, iface: i });
    }
    const state = m.nm?.get(link);
    if (state !== undefined && !state.startsWith('unmanaged')) out.push({ link, by: 'NetworkManager', what: `nmcli: ${state}` });
  }
  return out;
}

/** The refusal: which links, who else configures them, and the two ways out. */
export function contestMessage(found: readonly Contest[]): string {
  const lines = found.map((c) => `  ${c.link}: ${c.by} (${c.what})`);
  return (
    `links of this host are also configured by another network manager, which would run its own configuration (a DHCP client on a bridge port) again at the next boot:\n${lines.join('\n')}\n` +
    `Set networking.take_over: true to hand them over (ifupdown: the stanza becomes "inet manual"; NetworkManager: ${NM_UNMANAGED_PATH} lists them as unmanaged; ` +
    'both restored by a rollback), or remove them from that manager yourself'
  );
}

/** The ifupdown file with the contested stanzas turned into `inet manual` (their options commented out, the old line kept in a comment). */
export function manualStanzas(content: string, contested: readonly IfaceLine[]): string {
  const lines = content.split('\n');
  const starts = new Set(contested.map((c) => c.line - 1));
  const out: string[] = [];
  let inStanza = false;
  lines.forEach((line, i) => {
    if (starts.has(i)) {
      const c = contested.find((x) => x.line - 1 === i)!;
      const indent = /^\s*/.exec(line)![0];
      out.push(`${indent}${MARK}: was "${line.trim()}"; ${c.name} is managed by systemd-networkd`);
      out.push(`${indent}iface ${c.name} ${c.family} manual`);
      inStanza = true;
      return;
    }
    if (/^\s*(iface|auto|allow-|mapping|source|source-directory|rename)\b/.test(line)) inStanza = false;
    out.push(inStanza && line.trim() && !line.trim().startsWith('#') ? `#${line}` : line);
  });
  return out.join('\n');
}

/** The NetworkManager drop-in listing `links` as unmanaged (`+=` appends to the distribution's own list). */
export function renderNmUnmanaged(links: readonly string[]): string {
  return `${MARK}: these links are managed by systemd-networkd.\n[keyfile]\nunmanaged-devices+=${links.map((l) => `interface-name:${l}`).join(';')}\n`;
}

/**
 * The live half of the hand-over, following the files in place (it runs after
 * the activation and again after a rollback): an ifupdown link whose stanza is
 * ours (`manual`) loses the DHCP client ifupdown started for it, one whose old
 * stanza is back is brought up by ifupdown again; NetworkManager re-reads its
 * configuration and each link is set unmanaged or managed as the drop-in says.
 */
export function handoverLiveCommand(ifupdown: readonly string[], nm: readonly string[]): Command {
  const steps: Command[] = [];
  for (const link of ifupdown) {
    // a stanza for the link other than `manual` means ifupdown owns it (again, after a rollback)
    steps.push(
      sh`if grep -hE ${`^[[:space:]]*iface[[:space:]]+${link}[[:space:]]`} ${IFUPDOWN_GLOB} 2>/dev/null | grep -qvE '[[:space:]]manual([[:space:]]|$)'; then ifup --force ${link} 2>/dev/null || true; elif [ -e ${`/run/dhclient.${link}.pid`} ]; then dhclient -x -pf ${`/run/dhclient.${link}.pid`} ${link} 2>/dev/null || true; fi`,
    );
  }
  if (nm.length > 0) {
    steps.push(sh`systemctl reload NetworkManager 2>/dev/null || true`);
    for (const link of nm) {
      steps.push(sh`if grep -qF ${`interface-name:${link}`} ${NM_UNMANAGED_PATH} 2>/dev/null; then nmcli device set ${link} managed no 2>/dev/null || true; else nmcli device set ${link} managed yes 2>/dev/null || true; fi`);
    }
  }
  const text = joinCommands(steps, '\n').text;
  const gist = [ifupdown.length ? `ifupdown lets go of ${ifupdown.join(', ')}` : '', nm.length ? `NetworkManager follows ${NM_UNMANAGED_PATH} for ${nm.join(', ')}` : ''];
  return new Command(text, gist.filter(Boolean).join('; '));
}

/** What the guarded change adds for the hand-over: file ops, their paths (backed up, restored on rollback), the live step. */
export interface Handover {
  ops: Op[];
  paths: string[];
  live?: Command;
}

/**
 * Refuses (take_over false) or plans the hand-over of the links other
 * managers also configure. NetworkManager's drop-in keeps listing the links
 * it already lists that are still ours (they show as unmanaged now), and goes
 * away when none is left: those links are then handed back.
 */
export async function planHandover(ctx: OpContext, fact: Fact<OtherManagers>, links: readonly string[], takeOver: boolean): Promise<Handover> {
  const others = await ctx.fact(fact);
  const found = contests(links, others);
  if (found.length > 0 && !takeOver) throw new Error(contestMessage(found));
  const ops: Op[] = [];
  const paths: string[] = [];
  const byFile = new Map<string, IfaceLine[]>();
  for (const c of found) if (c.iface) byFile.set(c.iface.file, [...(byFile.get(c.iface.file) ?? []), c.iface]);
  for (const [path, lines] of byFile) {
    const info = await ctx.fact(fileInfo(path));
    if (!info.exists) continue;
    ops.push(file({ path, content: manualStanzas(editableText(path, info), lines), validate: (tmp) => sh`ifquery --interfaces=${tmp} --list >/dev/null` }));
    paths.push(path);
  }
  const names = new Set(links);
  const nmLinks = [...new Set([...others.nmOurs.filter((l) => names.has(l)), ...found.filter((c) => c.by === 'NetworkManager').map((c) => c.link)])];
  if (nmLinks.length > 0) ops.push(file({ path: NM_UNMANAGED_PATH, content: renderNmUnmanaged(nmLinks), owner: 'root', group: 'root', mode: '0644' }));
  else if (others.nmOurs.length > 0) ops.push(absent({ path: NM_UNMANAGED_PATH }));
  if (nmLinks.length > 0 || others.nmOurs.length > 0) paths.push(NM_UNMANAGED_PATH);
  const ifupdownLinks = [...new Set(found.filter((c) => c.by === 'ifupdown').map((c) => c.link))];
  const nmAll = [...new Set([...nmLinks, ...others.nmOurs])];
  if (ifupdownLinks.length === 0 && nmAll.length === 0) return { ops, paths };
  return { ops, paths, live: handoverLiveCommand(ifupdownLinks, nmAll) };
}

/** `first`, then `after` whatever `first` returned, exiting with `first`'s status (`first` may `exit`: it runs in a subshell). */
export function withAfter(first: Command, after: Command): Command {
  return new Command(`(${first.text})\nlw_act=$?\n${after.text}\nexit $lw_act`, `${first.shown}; then ${after.shown}`);
}

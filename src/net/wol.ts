import dgram from 'node:dgram';
import { Secret, secret } from '../secret.js';
import { Command, sh } from '../shell/quote.js';
import { normaliseMac } from './address.js';
import { isIpv4 } from './host-address.js';

/**
 * Wake-on-LAN magic packets: 6 × 0xFF, then the target's MAC 16 times (102
 * bytes), optionally followed by a SecureOn password of 4 or 6 bytes (106 or
 * 108 bytes). Sent as one UDP datagram, by convention to port 9 of the
 * target's subnet-directed broadcast address.
 */

export const WOL_PORT = 9;

/**
 * A SecureOn password as bytes: six hex bytes like a MAC ("00:22:44:66:88:aa",
 * also with "-" or none), four hex bytes ("de:ad:be:ef"), or four decimal
 * bytes written like an IPv4 address ("192.168.1.1", ether-wake's form).
 */
export function parseSecureOn(password: string): Buffer {
  const text = password.trim();
  if (isIpv4(text)) return Buffer.from(text.split('.').map(Number));
  const hex = text.replace(/[:-]/g, '');
  const grouped = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){3}([:-][0-9a-fA-F]{2}){0,2}$/.test(text);
  if ((grouped || /^[0-9a-fA-F]+$/.test(text)) && (hex.length === 8 || hex.length === 12)) return Buffer.from(hex, 'hex');
  throw new RangeError('a SecureOn password is 4 or 6 bytes: aa:bb:cc:dd:ee:ff, aa:bb:cc:dd or 1.2.3.4');
}

/** The magic packet for `mac` (102 bytes; 106/108 with a SecureOn password). */
export function magicPacket(mac: string, password?: string | Secret): Buffer {
  const macBytes = Buffer.from(normaliseMac(mac).replace(/:/g, ''), 'hex');
  const parts: Buffer[] = [Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => macBytes)];
  if (password !== undefined) parts.push(parseSecureOn(password instanceof Secret ? password.reveal() : password));
  return Buffer.concat(parts);
}

/** One datagram to send: the packet, where to, and whether it holds a password (never shown). */
export interface MagicSend {
  packet: Buffer;
  address: string;
  port: number;
  secret?: boolean;
}

/** Sends the packets from this process (the controller): one UDP socket with SO_BROADCAST. */
export async function sendFromHere(sends: readonly MagicSend[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setBroadcast(true);
    for (const s of sends) {
      await new Promise<void>((resolve, reject) => socket.send(s.packet, s.port, s.address, (err) => (err ? reject(err) : resolve())));
    }
  } finally {
    socket.close();
  }
}

/** Sends each datagram read from stdin as a "hex octal address port" line, with SO_BROADCAST; exact byte counts or an error. */
const PYTHON_SENDER = `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
for line in sys.stdin:
    if not line.strip():
        continue
    hexed, _, address, port = line.split()
    data = bytes.fromhex(hexed)
    if s.sendto(data, (address, int(port))) != len(data):
        sys.exit("short send to %s" % address)
`;

/**
 * The same for socat: each line's bytes as printf octal escapes (POSIX printf
 * has no hex; 0xFF is not text), expanded by the shell's builtin printf from a
 * variable, so they are in no process's arguments either.
 */
const SOCAT_SENDER = `while read -r hexed bytes address port; do
  [ -n "$bytes" ] || continue
  printf "$bytes" | socat -u STDIN "UDP-DATAGRAM:$address:$port,broadcast" || exit 1
done`;

export type SendTool = 'auto' | 'python3' | 'socat';

/** One stdin line per datagram: hex (python3), printf octal escapes (socat), address, port. */
function sendLine(s: MagicSend): string {
  const hexed = s.packet.toString('hex');
  const octal = [...s.packet].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
  // a password inside: masked should either form ever reach output (a sender's error)
  if (s.secret) [hexed, octal].forEach((form) => secret(form));
  return `${hexed} ${octal} ${s.address} ${s.port}\n`;
}

/**
 * The command that sends the same datagrams from another host (a relay on
 * the targets' network): python3 when there, else socat (`broadcast` option);
 * `tool` forces one. The packets (a SecureOn password among them) travel on
 * its stdin, never on a command line, where `ps` and sudo's log would show them.
 */
export function relaySend(sends: readonly MagicSend[], tool: SendTool = 'auto'): { command: Command; stdin: string } {
  const python = sh`python3 -c ${PYTHON_SENDER}`;
  const socat = new Command(SOCAT_SENDER, SOCAT_SENDER);
  const missing = (what: string) => sh`{ echo ${`wake-on-lan: this host needs ${what} to send magic packets`} >&2; exit 127; }`;
  const stdin = sends.map(sendLine).join('');
  switch (tool) {
    case 'python3':
      return { command: sh`if command -v python3 >/dev/null 2>&1; then ${python}; else ${missing('python3')}; fi`, stdin };
    case 'socat':
      return { command: sh`if command -v socat >/dev/null 2>&1; then ${socat}; else ${missing('socat')}; fi`, stdin };
    case 'auto':
      return {
        command: sh`if command -v python3 >/dev/null 2>&1; then ${python}; elif command -v socat >/dev/null 2>&1; then ${socat}; else ${missing('python3 or socat')}; fi`,
        stdin,
      };
  }
}

import ssh2 from 'ssh2';

export interface KeyPair {
  /** OpenSSH private key (PEM-armoured, unencrypted). */
  private: string;
  /** `ssh-ed25519 AAAA… comment`, one line. */
  public: string;
}

/** A fresh ed25519 key pair, usable as a client key or an sshd host key. */
export function generateKeyPair(comment: string): KeyPair {
  const keys = ssh2.utils.generateKeyPairSync('ed25519', { comment });
  return { private: keys.private, public: keys.public.trim() };
}

/** A known_hosts file that pins each address to its host key (comments dropped). */
export function knownHosts(entries: { address: string; hostKey: KeyPair }[]): string {
  return entries
    .map(({ address, hostKey }) => {
      const [type, key] = hostKey.public.split(' ');
      return `${address} ${type} ${key}\n`;
    })
    .join('');
}

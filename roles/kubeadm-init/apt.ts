import { command, directory, file } from '../../src/ops/index.js';
import type { Op } from '../../src/ops/op.js';
import { sh } from '../../src/shell/quote.js';
import type { KubeadmInitVars } from './vars.js';

/** The packages kubeadm clusters are made of, pinned and held. */
export const KUBE_PACKAGES = ['kubeadm', 'kubelet', 'kubectl'] as const;

/** The apt source line of the Kubernetes repository (a flat repository: suite "/"). */
export function aptSource(vars: Pick<KubeadmInitVars, 'apt_repository' | 'keyring'>): string {
  return `deb [signed-by=${vars.keyring}] ${vars.apt_repository} /\n`;
}

/** The repository's signing key: written from `apt_key`, or downloaded once by the host. */
export function aptKey(vars: Pick<KubeadmInitVars, 'apt_key' | 'apt_key_url' | 'apt_repository' | 'keyring'>): Op[] {
  const dir = directory({ path: '/etc/apt/keyrings', mode: '0755' });
  if (vars.apt_key) return [dir, file({ path: vars.keyring, content: vars.apt_key.trimEnd() + '\n', mode: '0644' })];
  const url = vars.apt_key_url ?? `${vars.apt_repository}Release.key`;
  const tmp = `${vars.keyring}.download`;
  return [
    dir,
    command({
      run: sh`curl -fsSL --proto =https ${url} -o ${tmp} && grep -q 'BEGIN PGP PUBLIC KEY BLOCK' ${tmp} && chmod 0644 ${tmp} && mv ${tmp} ${vars.keyring}`,
      creates: vars.keyring,
    }),
  ];
}

/** /etc/apt/sources.list.d/kubernetes.list for the minor of the vars. */
export function aptSourceFile(vars: Pick<KubeadmInitVars, 'apt_repository' | 'keyring'>): Op {
  return file({ path: '/etc/apt/sources.list.d/kubernetes.list', content: aptSource(vars), mode: '0644' });
}

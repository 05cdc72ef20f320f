import { dirname } from 'node:path';
import { pathExists } from '../../src/facts/builtin.js';
import type { Host } from '../../src/inventory/types.js';
import { change, ok, type Op, type OpContext } from '../../src/ops/op.js';
import { secret } from '../../src/secret.js';
import { joinCommands, sh } from '../../src/shell/quote.js';
import { delegateTo } from './delegate.js';
import type { JoinSecrets } from './kubeadm-config.js';

export const ADMIN_CONF = '/etc/kubernetes/admin.conf';
export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';

/** What `kubeadm token create --print-join-command` prints, taken apart. */
export interface JoinCommand {
  endpoint: string;
  token: string;
  caCertHash: string;
}

const JOIN_LINE = /^kubeadm join (\S+) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})\s*$/m;

export function parseJoinCommand(stdout: string): JoinCommand {
  const m = JOIN_LINE.exec(stdout);
  if (!m) throw new Error(`kubeadm token create printed no join command of the expected form (kubeadm join ENDPOINT --token T --discovery-token-ca-cert-hash sha256:H)`);
  secret(m[2]!); // never shown from here on
  return { endpoint: m[1]!, token: m[2]!, caCertHash: m[3]! };
}

/** The certificate key `kubeadm init phase upload-certs --upload-certs` prints on its last line. */
export function parseCertificateKey(stdout: string): string {
  const key = stdout
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .reverse()
    .find((l) => /^[0-9a-f]{64}$/.test(l));
  if (!key) throw new Error('kubeadm init phase upload-certs printed no certificate key (64 hex digits)');
  secret(key);
  return key;
}

/** "<issued-at epoch seconds> <key>" as kept in the state file. */
export function parseKeyState(text: string): { issuedAt: number; key: string } | undefined {
  const m = /^(\d+) ([0-9a-f]{64})$/m.exec(text);
  return m ? { issuedAt: Number(m[1]), key: m[2]! } : undefined;
}

/**
 * Per run (the first control plane's context is one per run): the join
 * command made once for every node joining in the run, and a queue that
 * makes control planes join one after the other. Each control-plane join
 * may re-issue the certificate key (a second re-issue would invalidate the
 * key of a join still running) and adds an etcd member, which etcd takes
 * one at a time.
 */
const joinCommandsOf = new WeakMap<OpContext, Promise<JoinCommand>>();
const controlPlaneQueue = new WeakMap<OpContext, Promise<unknown>>();

function joinCommandOf(first: OpContext, ttl: string): Promise<JoinCommand> {
  let p = joinCommandsOf.get(first);
  if (!p) {
    p = first.run(sh`kubeadm token create --ttl ${ttl} --print-join-command`).then((r) => parseJoinCommand(r.stdout));
    joinCommandsOf.set(first, p);
  }
  return p;
}

function oneAtATime<T>(first: OpContext, work: () => Promise<T>): Promise<T> {
  const next = (controlPlaneQueue.get(first) ?? Promise.resolve()).catch(() => undefined).then(work);
  controlPlaneQueue.set(first, next.catch(() => undefined));
  return next;
}

/** The current certificate key on the first control plane, re-issued when older than `reuseSeconds` (or never recorded). */
async function certificateKeyOf(first: OpContext, statePath: string, reuseSeconds: number): Promise<string> {
  const { stdout } = await first.run(sh`date +%s; cat ${statePath} 2>/dev/null || true`);
  const [nowLine = '', ...rest] = stdout.split('\n');
  const now = Number(nowLine.trim());
  const saved = parseKeyState(rest.join('\n'));
  if (saved) secret(saved.key);
  if (saved && Number.isFinite(now) && now - saved.issuedAt >= 0 && now - saved.issuedAt < reuseSeconds) return saved.key;
  const key = parseCertificateKey((await first.run(sh`kubeadm init phase upload-certs --upload-certs`)).stdout);
  await first.run(joinCommands([sh`umask 077`, sh`mkdir -p ${dirname(statePath)}`, sh`cat > ${statePath}`], ' && '), { stdin: `${now} ${key}\n` });
  return key;
}

export interface KubeadmJoinArgs {
  /** The first control plane: the join token and certificate key come from it. */
  first: Host;
  controlPlane: boolean;
  /** Where the JoinConfiguration is written for the join (removed afterwards). */
  configPath: string;
  /** The endpoint the inventory derives (shown in plans). */
  endpoint: string;
  /** The JoinConfiguration for the secrets fetched at apply time (checked against the upstream type). */
  render: (secrets: JoinSecrets) => string;
  tokenTtl: string;
  certificateKeyState: string;
  certificateKeyReuseSeconds: number;
}

/**
 * `kubeadm join` of a node that has not joined yet (no kubelet.conf), with a
 * bootstrap token and, for a control plane, the certificate key, both made
 * on the first control plane at apply time through the run's connection to
 * it (`ctx.delegate`). The plan reads only facts: whether this node has
 * joined, and whether the first control plane is initialised yet (in check
 * mode its init may be planned earlier in the same run).
 */
export function kubeadmJoin(args: KubeadmJoinArgs): Op {
  const joined = pathExists(KUBELET_CONF);
  const initialised = pathExists(ADMIN_CONF);
  const as = args.controlPlane ? 'a control plane' : 'a worker';
  return {
    label: `kubeadm join as ${as}`,
    facts: [joined],
    async plan(ctx) {
      if (await ctx.fact(joined)) return ok(`joined already (${KUBELET_CONF} exists)`);
      const first = await delegateTo(ctx, args.first);
      const ready = await first.fact(initialised);
      const from = `${args.controlPlane ? 'a join token and the certificate key' : 'a join token'} from ${args.first.name}`;
      const summary =
        `run: kubeadm join --config ${args.configPath}: join ${ctx.host.name} through ${args.endpoint} as ${as}, with ${from}` +
        (ready ? '' : ` (${args.first.name} has no ${ADMIN_CONF} yet: its kubeadm init comes first)`);
      return change({ summary }, async (c) => {
        const cp1 = await delegateTo(c, args.first);
        if (!(await cp1.fact(initialised))) {
          throw new Error(`${args.first.name} is not initialised (no ${ADMIN_CONF}): kubeadm init runs there first; is it left out by --limit or a tag?`);
        }
        const join = async () => {
          const cmd = await joinCommandOf(cp1, args.tokenTtl);
          const certificateKey = args.controlPlane ? await certificateKeyOf(cp1, args.certificateKeyState, args.certificateKeyReuseSeconds) : undefined;
          const config = args.render({ ...cmd, certificateKey });
          await c.run(
            joinCommands(
              [
                sh`set -e`,
                sh`mkdir -p ${dirname(args.configPath)}`,
                sh`umask 077`,
                sh`f=${args.configPath}`,
                sh`trap 'rm -f "$f"' EXIT`,
                sh`cat > "$f"`,
                sh`kubeadm config validate --config "$f"`,
                sh`kubeadm join --config "$f"`,
              ],
              '\n',
            ),
            { stdin: config },
          );
        };
        await (args.controlPlane ? oneAtATime(cp1, join) : join());
      });
    },
  };
}

import { defineFact } from '../facts/fact.js';
import { sh, type Command } from '../shell/quote.js';
import { kubectl } from './kubectl.js';
import { change, ok, type Op } from './op.js';

export interface RolloutArgs {
  kubeconfig: string;
  /** `deployment/grafana`, `daemonset/promtail`, `statefulset/loki`. */
  resource: string;
  namespace?: string;
  timeoutSeconds: number;
  /** Where to look when it times out. */
  hint: string;
}

function rolloutCommand(args: RolloutArgs): Command {
  const ns = args.namespace ? sh`-n ${args.namespace}` : sh``;
  return sh`${kubectl(args.kubeconfig)} ${ns} rollout status ${args.resource}`;
}

/** Whether the rollout is complete right now (`--watch=false` reports once). */
export const kubectlRolledOut = defineFact('kubectl-rolled-out', (args: RolloutArgs) => ({
  command: sh`${rolloutCommand(args)} --watch=false 2>&1`,
  parse: ({ stdout, code }) => code === 0 && /successfully rolled out/.test(stdout),
}));

/**
 * Waits, bounded, for a Deployment, DaemonSet or StatefulSet to finish
 * rolling out (`kubectl rollout status --timeout`): ok when it already has;
 * on timeout fails naming the object, kubectl's answer and where to look.
 */
export function kubectlRollout(args: RolloutArgs): Op {
  const done = kubectlRolledOut(args);
  const target = `${args.resource}${args.namespace ? ` in ${args.namespace}` : ''}`;
  const failed = `${target} did not finish rolling out within ${args.timeoutSeconds}s; look at: ${args.hint}`;
  const wait = sh`if ! out=$(${rolloutCommand(args)} --timeout=${`${args.timeoutSeconds}s`} 2>&1); then printf '%s\\nkubectl said: %s\\n' ${failed} "$out" >&2; exit 1; fi`;
  return {
    label: `rollout of ${target}`,
    facts: [done],
    async plan(ctx) {
      if (await ctx.fact(done)) return ok(`${target}: rolled out`);
      return change({ summary: `wait up to ${args.timeoutSeconds}s for the rollout of ${target}` }, async (c) => {
        await c.run(wait, { timeoutMs: (args.timeoutSeconds + 60) * 1000 });
      });
    },
  };
}

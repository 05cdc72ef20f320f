import type { Host } from '../../src/inventory/types.js';
import type { OpContext } from '../../src/ops/op.js';

/** The context of another inventory host (the first control plane), over the run's connection to it. */
export function delegateTo(ctx: OpContext, host: Host): Promise<OpContext> {
  if (!ctx.delegate) throw new Error(`this step needs ${host.name}, but this context cannot reach other hosts`);
  return ctx.delegate(host);
}

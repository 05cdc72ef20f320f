import { fileInfo } from '../facts/builtin.js';
import type { Fact } from '../facts/fact.js';
import { planFile, type FileArgs } from './file.js';
import type { Op } from './op.js';

/** Content rendered from facts; `assumption` says what was guessed because a fact was not available yet. */
export interface RenderedContent {
  content: string;
  /** E.g. "haproxy is not installed yet: assuming no Prometheus exporter". Makes the plan unpredictable. */
  assumption?: string;
}

type FactValues<F extends readonly Fact<unknown>[]> = { [K in keyof F]: F[K] extends Fact<infer T> ? T : never };

/**
 * A file whose content depends on facts of the host (the interface holding an
 * address, the features of an installed binary), written like `file`:
 * atomically, validated, with a diff. The facts are read at plan time, so the
 * content reflects every earlier change of the run (facts are re-read after a
 * change). When `render` had to guess (a fact is not available yet, e.g. the
 * package is installed by an earlier task that check mode did not run), the
 * plan is reported as unpredictable instead of pretending to know.
 */
export function factFile<const F extends readonly Fact<unknown>[]>(
  args: Omit<FileArgs, 'content'> & {
    facts: F;
    render: (...values: FactValues<F>) => string | RenderedContent;
    label?: string;
  },
): Op {
  const { facts, render, label, ...fileArgs } = args;
  const info = fileInfo(fileArgs.path);
  return {
    label: label ?? `file ${fileArgs.path}`,
    facts: [info, ...facts],
    async plan(ctx) {
      const values = (await Promise.all(facts.map((f) => ctx.fact(f)))) as FactValues<F>;
      const rendered = render(...values);
      const { content, assumption } = typeof rendered === 'string' ? { content: rendered, assumption: undefined } : rendered;
      const plan = planFile(await ctx.fact(info), { ...fileArgs, content });
      if (!assumption) return plan;
      if (plan.kind === 'ok') return { kind: 'ok', reason: `${plan.reason} (${assumption})` };
      return { kind: 'unpredictable', changes: [...plan.changes, { summary: `content not certain: ${assumption}` }], apply: plan.apply };
    },
  };
}

/** The public API for playbooks and roles. */
export { defineRole, play, type BlockDef, type PlayDef, type Role, type RoleKit, type RoleUse, type TaskContext, type TaskOptions, type TaskResult } from './engine/definitions.js';
export { isMain, main, runPlaybook } from './cli/main.js';
export * from './ops/index.js';
export { helmReleaseOp, type HelmReleaseArgs, type HelmValues } from './ops/helm-release.js';
export { helmBinary, type HelmBinaryArgs } from './ops/helm-binary.js';
export * as facts from './facts/builtin.js';
export { defineFact, type Fact } from './facts/fact.js';
export { sh, quote, type Command } from './shell/quote.js';
export { secret, Secret } from './secret.js';
export type { Host, Inventory } from './inventory/types.js';

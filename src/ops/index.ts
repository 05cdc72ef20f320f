export { absent, directory, file, type FileArgs, type Ownership } from './file.js';
export { template, renderTemplate } from './template.js';
export { blockInFile, editFile, lineInFile } from './lines.js';
export { apt, brew } from './packages.js';
export { service } from './service.js';
export { kernelModule, sysctl } from './kernel.js';
export { command } from './command.js';
export { user } from './user.js';
export { change, combinePlans, ok, sequence, type Change, type FileDiff, type Op, type OpContext, type Plan } from './op.js';

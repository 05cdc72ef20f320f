import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isSecret } from '../secret.js';
import { file, type FileArgs } from './file.js';
import type { Op } from './op.js';

/** Secrets revealed so far (rendering is synchronous: a render revealed one when this grew). */
let revealed = 0;
let handlebars: typeof import('handlebars') | undefined;

/**
 * Handlebars without HTML escaping (configs are not HTML), strict about
 * missing names; loaded (CommonJS, synchronously: rendering is synchronous)
 * when the first template renders, so runs and --list-hosts that render none never load it.
 */
function engine(): typeof import('handlebars') {
  if (handlebars) return handlebars;
  const hb = (createRequire(import.meta.url)('handlebars') as typeof import('handlebars')).create();
  hb.registerHelper('join', (list: unknown[], sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ',') : ''));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hb.registerHelper('reveal', (v: unknown) => {
    if (!isSecret(v)) return v;
    revealed++;
    return v.reveal();
  });
  return (handlebars = hb);
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

function compile(source: URL | string): HandlebarsTemplateDelegate {
  const key = String(source);
  let tpl = compiled.get(key);
  if (!tpl) {
    const text = readFileSync(source instanceof URL ? fileURLToPath(source) : source, 'utf8');
    tpl = engine().compile(text, { noEscape: true, strict: true });
    compiled.set(key, tpl);
  }
  return tpl;
}

/** Renders a handlebars template file with `data` (secrets need `{{reveal x}}`). */
export function renderTemplate(source: URL | string, data: object): string {
  return renderSecretAware(source, data).content;
}

/** The rendered text, and whether a secret went into it (`{{reveal x}}` of a Secret). */
export function renderSecretAware(source: URL | string, data: object): { content: string; sensitive: boolean } {
  const before = revealed;
  try {
    const content = compile(source)(data);
    return { content, sensitive: revealed > before };
  } catch (e) {
    throw new Error(`template ${source instanceof URL ? fileURLToPath(source) : source}: ${(e as Error).message}`);
  }
}

/** A file rendered from a handlebars template (see `file` for the write guarantees); a revealed secret makes it sensitive. */
export function template(args: Omit<FileArgs, 'content'> & { src: URL | string; data: object }): Op {
  const { src, data, ...rest } = args;
  const { content, sensitive } = renderSecretAware(src, data);
  return { ...file({ ...rest, content, sensitive: rest.sensitive || sensitive }), label: `template ${args.path}` };
}

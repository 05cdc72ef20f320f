/** Set by bin/labwright.js when it loaded tsx (in a clone), and by loadTypeScript. */
const REGISTERED = Symbol.for('labwright.typescript');

/** Makes `import()` of .ts files work, once per process: tsx's ESM and CommonJS loaders, as `node --import tsx`. */
export async function loadTypeScript(): Promise<void> {
  const scope = globalThis as { [REGISTERED]?: boolean };
  if (scope[REGISTERED]) return;
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register();
  cjs.register();
  scope[REGISTERED] = true;
}

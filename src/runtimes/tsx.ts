// Loading TypeScript plugin entries under plain node: tsx's ESM and CommonJS hooks, both. With the
// ESM hook alone, a `.ts` or an ESM `.js` entry outside a `"type": "module"` package is handed to
// Node's CommonJS loader (which tsx then does not see): "Missing initializer…" for TypeScript,
// "Cannot require() ES Module … in a cycle" for ESM JavaScript.

let ready: Promise<void> | undefined;

/** Registers tsx (ESM and CommonJS hooks) once in this thread. */
export function ensureTsx(): Promise<void> {
  ready ??= Promise.all([import('tsx/cjs/api'), import('tsx/esm/api')]).then(([cjs, esm]) => {
    cjs.register();
    esm.register();
  });
  return ready;
}

/** Where tsx's APIs live, for a worker thread that must register them itself (see registerTsxSource). */
export function tsxApiUrls(): { esm: string; cjs: string } {
  return { esm: import.meta.resolve('tsx/esm/api'), cjs: import.meta.resolve('tsx/cjs/api') };
}

/** Code (for a worker's eval bootstrap) that registers tsx's two hooks from their URLs. */
export function registerTsxSource(urls: { esm: string; cjs: string }): string {
  return `(await import(${JSON.stringify(urls.cjs)})).register(); (await import(${JSON.stringify(urls.esm)})).register();`;
}

#!/usr/bin/env node
// plugway's command line. In a checkout it runs the TypeScript sources through tsx, so that no
// build step stands between an edit and a run; an installed package runs the built dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/index.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url));

if (existsSync(source) && process.env.PLUGWAY_USE_DIST !== '1') {
  // Both of tsx's hooks: with the ESM one alone, an ESM `.js` or a `.ts` plugin entry outside a
  // "type": "module" package reaches Node's CommonJS loader and fails (src/runtimes/tsx.ts).
  (await import('tsx/cjs/api')).register();
  (await import('tsx/esm/api')).register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(built).href);
}

#!/usr/bin/env node
// plugway's command line. In a checkout it runs the TypeScript sources through tsx, so that no
// build step stands between an edit and a run; an installed package runs the built dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/cli/index.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url));

if (existsSync(source) && process.env.PLUGWAY_USE_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(built).href);
}

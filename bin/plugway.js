#!/usr/bin/env node
// plugway's command line. An installed package runs the built dist/. A checkout runs dist/ too when
// it is newer than every file under src/ (a start in ~0.1 s), else the TypeScript sources through tsx,
// so that no build step stands between an edit and a run. PLUGWAY_USE_DIST=1 / =0 forces one or the other.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/cli/index.ts`;
const built = `${root}dist/cli/index.js`;

/** The newest modification time under dir, stopping early once one beats `than`. */
function newerThan(dir, than) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory() ? newerThan(p, than) : statSync(p).mtimeMs > than) return true;
  }
  return false;
}

function useSource() {
  if (!existsSync(source)) return false;
  if (process.env.PLUGWAY_USE_DIST === '1') return false;
  if (process.env.PLUGWAY_USE_DIST === '0' || !existsSync(built)) return true;
  // scripts/ensure-ready.mjs stamps a build; a plain `npm run build` leaves dist/cli/index.js as the mark
  const stamp = `${root}dist/.build-stamp`;
  const builtAt = Math.max(statSync(built).mtimeMs, existsSync(stamp) ? statSync(stamp).mtimeMs : 0);
  return newerThan(`${root}src`, builtAt) || statSync(`${root}package.json`).mtimeMs > builtAt;
}

if (useSource()) {
  // Both of tsx's hooks: with the ESM one alone, an ESM `.js` or a `.ts` plugin entry outside a
  // "type": "module" package reaches Node's CommonJS loader and fails (src/runtimes/tsx.ts).
  (await import('tsx/cjs/api')).register();
  (await import('tsx/esm/api')).register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(built).href);
}

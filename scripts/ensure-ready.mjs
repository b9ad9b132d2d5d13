// Makes a fresh clone runnable: installs dependencies when node_modules is missing or older than
// package-lock.json, builds dist/ when src/ changed, and builds the example plugins that need a build (wasm) when they are missing.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

const marker = `${root}/node_modules/.package-lock.json`;
if (!existsSync(`${root}/node_modules`) || mtime(marker) < mtime(`${root}/package-lock.json`)) {
  process.stderr.write('plugway: installing dependencies (npm ci)…\n');
  run('npm ci --no-audit --no-fund');
}

// Plugins (ours and third parties') import `plugway/sdk`, which resolves to dist/: keep it built.
function newestIn(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newestIn(p) : statSync(p).mtimeMs);
  }
  return t;
}
const stamp = `${root}/dist/.build-stamp`;
if (mtime(stamp) < newestIn(`${root}/src`) || mtime(stamp) < mtime(`${root}/package.json`)) {
  process.stderr.write('plugway: building dist/ (tsc)…\n');
  try {
    run('node node_modules/typescript/bin/tsc -p tsconfig.build.json');
  } catch {
    process.stderr.write('plugway: tsc reported type errors (output was still written)\n');
  }
  writeFileSync(stamp, new Date().toISOString());
}

if (existsSync(`${root}/scripts/build-examples.mjs`)) {
  run('node scripts/build-examples.mjs --if-needed');
}

// Builds the example plugins that need a build step (AssemblyScript → wasm). With --if-needed,
// only those whose output is missing or older than their sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ifNeeded = process.argv.includes('--if-needed');
const examples = join(root, 'examples');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

// The example folders: examples/<name>, and examples/<group>/<name> for a group of examples that
// are served together (examples/veza).
function exampleDirs() {
  if (!existsSync(examples)) return [];
  const out = [];
  for (const e of readdirSync(examples, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === 'node_modules') continue;
    const dir = join(examples, e.name);
    out.push(dir);
    if (existsSync(join(dir, 'plugin.yaml'))) continue;
    for (const s of readdirSync(dir, { withFileTypes: true })) if (s.isDirectory() && s.name !== 'node_modules') out.push(join(dir, s.name));
  }
  return out;
}

// An example with a build script (build.mjs) is built by it; it names its output in a comment
// `// output: <file>` so that --if-needed can skip fresh builds.
for (const dir of exampleDirs()) {
  const script = join(dir, 'build.mjs');
  if (!existsSync(script)) continue;
  const src = join(dir, 'src');
  const out = join(dir, 'plugin.wasm');
  if (ifNeeded && existsSync(out) && (!existsSync(src) || statSync(out).mtimeMs >= newest(src))) continue;
  process.stderr.write(`plugway: building example ${relative(examples, dir)}…\n`);
  execFileSync(process.execPath, [script], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
}

// Builds the example plugins that need a build step (AssemblyScript → wasm). With --if-needed,
// only those whose output is missing or older than their sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

// An example with a build script (build.mjs) is built by it; it names its output in a comment
// `// output: <file>` so that --if-needed can skip fresh builds.
for (const name of existsSync(examples) ? readdirSync(examples) : []) {
  const dir = join(examples, name);
  const script = join(dir, 'build.mjs');
  if (!existsSync(script)) continue;
  const src = join(dir, 'src');
  const out = join(dir, 'plugin.wasm');
  if (ifNeeded && existsSync(out) && (!existsSync(src) || statSync(out).mtimeMs >= newest(src))) continue;
  process.stderr.write(`plugway: building example ${name}…\n`);
  execFileSync(process.execPath, [script], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
}

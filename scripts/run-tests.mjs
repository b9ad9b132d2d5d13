// Runs the whole test suite with node's test runner (Node 20 does not expand globs itself).
// Arguments narrow it: `npm test -- src/host` runs the test files under src/host.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const roots = ['src', 'test', 'plugins', 'examples', 'scripts'];
const skip = new Set(['node_modules', 'dist', '.git', '.plugway']);

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (skip.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) collect(p, out);
    else if (/\.test\.(ts|mjs|js)$/.test(e.name)) out.push(relative(root, p));
  }
  return out;
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
let files = roots.flatMap((r) => collect(join(root, r), []));
if (filters.length) {
  files = files.filter((f) => filters.some((flt) => f.startsWith(flt) || f.includes(flt)));
}
files.sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
const concurrency = process.env.PLUGWAY_TEST_CONCURRENCY ?? '2';
// A stuck test file fails after 10 min instead of holding CI for its 90 (the timeout applies to
// each file as a whole; the slowest, test/e2e/toolkit, takes 2-5 min on a loaded 2-CPU machine).
// Once a file's tests are done its process exits even if something (a server a failed `before`
// left running) would keep it alive.
const timeoutMs = process.env.PLUGWAY_TEST_TIMEOUT_MS ?? '600000';
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeoutMs}`, '--test-force-exit', ...flags, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PLUGWAY_TEST: '1' },
});
process.exit(result.status ?? 1);

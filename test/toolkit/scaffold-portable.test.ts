// A scaffolded plugin is portable: no file names this checkout, its package.json lists what its build
// needs (at plugway's own versions), and build.mjs finds the compilers and SDK types when it runs —
// from the plugin's own node_modules, $PLUGWAY_ROOT, or the `plugway` on PATH — or says what to do.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { createPlugin } from '../../src/toolkit/scaffold.js';

const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const work = mkdtempSync(join(tmpdir(), 'plugway-portable-'));
after(() => rmSync(work, { recursive: true, force: true }));
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const versionOf = (name: string) => rootPkg.devDependencies[name] ?? rootPkg.dependencies[name];

/** PATH without any folder that has a `plugway` command, plus `extra` first. */
function pathWithout(extra: string[] = []): string {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d && !existsSync(join(d, 'plugway')));
  return [...extra, ...dirs].join(':');
}

function build(dir: string, env: Record<string, string | undefined>): { status: number | null; out: string } {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLUGWAY_') && k !== 'NODE_OPTIONS') clean[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  const r = spawnSync(process.execPath, ['build.mjs'], { cwd: dir, env: clean, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n)) : [join(dir, n)]));
}

test("no scaffolded file but package.json names this checkout; package.json lists plugway and the build tools at plugway's versions", () => {
  for (const runtime of ['inprocess', 'wasm'] as const) {
    const { dir } = createPlugin({ name: `p-${runtime}`, runtime, dir: work });
    // package.json's plugway devDependency is the one place that names the plugway that scaffolded it (file:…)
    for (const f of allFiles(dir)) if (!f.endsWith('package.json')) assert.ok(!readFileSync(f, 'utf8').includes(root), `${f.slice(dir.length + 1)} names ${root}`);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const tools = runtime === 'wasm' ? ['assemblyscript', '@extism/as-pdk', '@extism/extism'] : ['typescript', '@types/node'];
    const { plugway, ...buildTools } = pkg.devDependencies;
    assert.equal(plugway, `file:${root}`);
    assert.deepEqual(buildTools, Object.fromEntries(tools.map((t) => [t, versionOf(t)])));
    for (const t of tools) assert.ok(versionOf(t), `plugway's package.json has ${t}`);
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as { extends: string };
    assert.equal(tsconfig.extends, './.plugway/tsconfig.json');
    assert.match(readFileSync(join(dir, '.gitignore'), 'utf8'), /^\.plugway\/$/m);
  }
});

test('build.mjs finds plugway through PLUGWAY_ROOT; the tsconfig it completes type-checks for editors', () => {
  const { dir } = createPlugin({ name: 'by-root', dir: work });
  const r = build(dir, { PLUGWAY_ROOT: root, PATH: pathWithout() });
  assert.equal(r.status, 0, r.out);
  assert.ok(existsSync(join(dir, 'dist', 'index.js')));
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);
});

test('build.mjs finds plugway through the plugway on PATH: a symlink to bin/plugway.js, or a wrapper script', () => {
  const linkDir = join(work, 'bin-link');
  mkdirSync(linkDir);
  symlinkSync(join(root, 'bin', 'plugway.js'), join(linkDir, 'plugway'));
  const a = createPlugin({ name: 'by-link', dir: work }).dir;
  const r1 = build(a, { PATH: pathWithout([linkDir]) });
  assert.equal(r1.status, 0, r1.out);

  const shimDir = join(work, 'bin-shim');
  mkdirSync(shimDir);
  writeFileSync(join(shimDir, 'plugway'), `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin', 'plugway.js')}" "$@"\n`);
  chmodSync(join(shimDir, 'plugway'), 0o755);
  const b = createPlugin({ name: 'by-shim', dir: work }).dir;
  const r2 = build(b, { PATH: pathWithout([shimDir]) });
  assert.equal(r2.status, 0, r2.out);
});

test("build.mjs uses the plugin's own node_modules first, and without any plugway says what to do", () => {
  const { dir } = createPlugin({ name: 'own-modules', dir: work });
  const none = build(dir, { PATH: pathWithout() });
  assert.equal(none.status, 1);
  assert.match(none.out, /build: cannot find typescript\. Run npm install here \(package\.json lists it\)/);

  // as after `npm install`: the tools (and plugway, for its SDK types) in the plugin's node_modules;
  // its typescript is a stand-in that says it was used
  const nm = join(dir, 'node_modules');
  mkdirSync(join(nm, 'typescript'), { recursive: true });
  writeFileSync(join(nm, 'typescript', 'package.json'), JSON.stringify({ name: 'typescript', version: '5.9.3', main: 'index.cjs' }));
  writeFileSync(join(nm, 'typescript', 'index.cjs'), `console.log("the plugin's own typescript");\nmodule.exports = require(${JSON.stringify(join(root, 'node_modules', 'typescript'))});\n`);
  mkdirSync(join(nm, '@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(nm, '@types', 'node'));
  symlinkSync(root, join(nm, 'plugway'));
  const own = build(dir, { PATH: pathWithout(), PLUGWAY_ROOT: join(work, 'no-such-plugway') });
  assert.equal(own.status, 0, own.out);
  assert.match(own.out, /the plugin's own typescript/);
  assert.ok(existsSync(join(dir, 'dist', 'index.js')));
});

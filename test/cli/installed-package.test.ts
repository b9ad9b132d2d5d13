// plugway as a user installs it: `npm pack`, `npm install -g` into a temporary prefix (dependencies
// from a loopback mirror of node_modules, never the public registry). The installed command runs
// dist/, serves, reads its admin token from the state dir, reports token problems as auth problems,
// logs at --log-level; and a plugin it scaffolds outside the checkout builds and tests on its own.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startNpmMirror, type NpmMirror } from '../helpers/npm-mirror.js';
import { CHECKOUT, installGlobally, npmEnv, packCheckout, run } from '../helpers/packed-plugway.js';

const work = mkdtempSync(join(tmpdir(), 'plugway-installed-'));
let mirror: NpmMirror;
let env: NodeJS.ProcessEnv;
let bin = '';
let pkg = '';
let tarball = '';
const children: ChildProcess[] = [];

before(
  async () => {
    mirror = await startNpmMirror(CHECKOUT);
    env = npmEnv(join(work, 'home'), mirror.url);
    tarball = await packCheckout(join(work, 'pack'), env);
    ({ bin, pkg } = await installGlobally(tarball, join(work, 'prefix'), env));
  },
  { timeout: 240_000 },
);

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await mirror?.close();
  rmSync(work, { recursive: true, force: true });
});

const version = (JSON.parse(readFileSync(join(CHECKOUT, 'package.json'), 'utf8')) as { version: string }).version;

test('the installed plugway answers --version and --help from dist/ (the package has no TypeScript sources)', async () => {
  assert.ok(existsSync(join(pkg, 'dist', 'cli', 'index.js')));
  assert.ok(!existsSync(join(pkg, 'src')), 'the package ships dist/, not src/');
  const v = await run(bin, ['--version'], { cwd: work, env });
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), version);
  const h = await run(bin, ['--help'], { cwd: work, env });
  assert.equal(h.code, 0, h.stderr);
  for (const c of ['plugin', 'serve', 'diagnose', '--log-level']) assert.ok(h.stdout.includes(c), `--help lists ${c}`);
});

test('npx runs plugway from the packed tarball without installing it', { timeout: 180_000 }, async () => {
  const r = await run('npx', ['--yes', '--package', tarball, 'plugway', '--version'], { cwd: work, env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
});

/** Starts `plugway serve` and resolves with its address once it says it listens. */
function serve(cwd: string, extra: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(bin, ['serve', '--port', '0'], { cwd, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const seen = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child, output: () => out });
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => reject(new Error(`plugway serve exited with ${code}:\n${out}`)));
  });
}

test('plugway serve from the installed package serves the bundled examples; the CLI finds the admin token in the state dir', async () => {
  const cwd = join(work, 'site');
  mkdirSync(cwd);
  const gw = await serve(cwd, { PLUGWAY_LOG_LEVEL: 'debug' });
  const hello = await fetch(`${gw.url}/hello`);
  assert.equal(hello.status, 200);
  // PLUGWAY_LOG_LEVEL=debug prints debug lines (plugin state changes, folders scanned)
  assert.match(gw.output(), /"level":"debug".*→ running/);

  // no PLUGWAY_ADMIN_TOKEN, no --token: the CLI reads .plugway/admin-token, as serve said
  const list = await run(bin, ['plugin', 'list', '--url', gw.url], { cwd, env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^hello\s+1\.0\.0/m);

  // --log-level debug on a command: where the token came from, the requests made
  const debug = await run(bin, ['plugin', 'list', '--url', gw.url, '--log-level', 'debug'], { cwd, env });
  assert.equal(debug.code, 0, debug.stderr);
  assert.match(debug.stderr, /^plugway debug: admin API .*; token from .*\.plugway\/admin-token$/m);
  assert.match(debug.stderr, /^plugway debug: GET \/admin\/plugins → 200/m);
  const quiet = await run(bin, ['plugin', 'list', '--url', gw.url], { cwd, env });
  assert.doesNotMatch(quiet.stderr, /debug/);

  // the README's placeholder typed literally, and a wrong token: auth problems, not "unreachable"
  for (const [token, says] of [
    ['…', /malformed: it holds "…" \(U\+2026\)/],
    ['not-the-token', /refused the admin token from PLUGWAY_ADMIN_TOKEN/],
  ] as const) {
    const r = await run(bin, ['plugin', 'list', '--url', gw.url], { cwd, env: { ...env, PLUGWAY_ADMIN_TOKEN: token } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^plugway: PLW_ERR_ADMIN_UNAUTHORIZED: /);
    assert.match(r.stderr, says);
    assert.doesNotMatch(r.stderr, /UNREACHABLE/);
  }
  // elsewhere (no state dir) and no token: says where the token lives
  const elsewhere = await run(bin, ['plugin', 'list', '--url', gw.url], { cwd: work, env });
  assert.equal(elsewhere.code, 1);
  assert.match(elsewhere.stderr, /PLW_ERR_ADMIN_UNAUTHORIZED: no admin token/);
  const viaFlag = await run(bin, ['plugin', 'list', '--url', gw.url, '--state-dir', join(cwd, '.plugway'), '--json'], { cwd: work, env });
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.ok((JSON.parse(viaFlag.stdout) as { count: number }).count >= 1);

  gw.child.kill('SIGTERM');
  await new Promise((r) => gw.child.once('exit', r));
});

for (const runtime of ['inprocess', 'worker', 'wasm'] as const) {
  test(`a ${runtime} plugin scaffolded by the installed plugway builds and tests on its own: npm install, npm run build && npm test`, { timeout: 180_000 }, async () => {
    const parent = join(work, 'authoring');
    mkdirSync(parent, { recursive: true });
    const name = `standalone-${runtime}`;
    const created = await run(bin, ['plugin', 'create', name, '--runtime', runtime], { cwd: parent, env });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /Next:\n {2}cd standalone-\w+\n {2}npm install\n {2}npm run build && npm test\n/);
    const dir = join(parent, name);
    const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; keywords: string[]; files: string[] };
    assert.equal(pj.devDependencies.plugway, `file:${pkg}`);
    assert.ok(pj.keywords.includes('plugway-plugin'));
    // the printed commands, as a user types them (no PLUGWAY_ROOT, no plugway on PATH)
    for (const step of [['install'], ['run', 'build'], ['test']]) {
      const r = await run('npm', step, { cwd: dir, env });
      assert.equal(r.code, 0, `npm ${step.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    }
    assert.ok(existsSync(join(dir, 'node_modules', 'plugway', 'dist', 'sdk', 'index.d.ts')), 'plugway/sdk types come from the installed package');
    if (runtime === 'inprocess') {
      const t = await run(bin, ['plugin', 'test', '.'], { cwd: dir, env });
      assert.equal(t.code, 0, `${t.stdout}\n${t.stderr}`);
      assert.match(t.stdout, /PASS standalone-inprocess/);
    }
  });
}

// `plugway serve` end to end: a child process on a free port serving the repository's examples;
// the README's curl; a plugin that fails to load is listed as failed and does not stop serve;
// reload from disk through the admin API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { http, tmpDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function startServe(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'bin/plugway.js'), 'serve', '--port', '0', ...args], {
    cwd: await tmpDir('cwd'),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PLUGWAY_ADMIN_TOKEN: '', ...env },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m && out.includes('try: curl')) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}\n${out}`)));
  });
  return {
    child,
    url,
    out: () => out,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

test('serve with no config: examples answer, the token is printed once, states are listed', async (t) => {
  const stateDir = await tmpDir('serve');
  const s = await startServe(['--state-dir', stateDir]);
  t.after(() => s.stop());
  const hello = await http(`${s.url}/hello`);
  assert.equal(hello.status, 200);
  assert.equal(hello.json.message, 'Hello, world!');
  assert.equal((await http(`${s.url}/hello/ada`)).json.message, 'Hello, ada!');
  const echo = await http(`${s.url}/echo`, { method: 'POST', json: { a: 1 } });
  assert.deepEqual(echo.json.body, { a: 1 });
  assert.equal(echo.headers.get('x-tagged-by'), 'tagged', 'the example middleware ran');
  const out = s.out();
  assert.match(out, /hello\s+1\.0\.0\s+handler\s+inprocess\s+running/);
  assert.match(out, /jwt-auth\s+1\.0\.0\s+auth/);
  const token = /admin token \(generated[^\n]*\n\s+(\S+)/.exec(out)?.[1];
  assert.ok(token, out);
  const reload = await http(`${s.url}/admin/plugins/hello/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  assert.equal(reload.status, 200, reload.text);
  assert.equal(reload.json.state, 'running');
  assert.equal((await http(`${s.url}/hello`)).status, 200);
  await s.stop();
  // Second start: the token comes from the file and is not printed again.
  const s2 = await startServe(['--state-dir', stateDir]);
  t.after(() => s2.stop());
  assert.match(s2.out(), /admin token: from .*admin-token/);
  assert.ok(!s2.out().includes(token));
});

test('a plugin that fails to load is listed as failed and serve keeps serving', async (t) => {
  const dir = await tmpDir('broken');
  await mkdir(join(dir, 'broken'));
  await writeFile(
    join(dir, 'broken', 'plugin.yaml'),
    'id: broken\nname: Broken\nversion: 1.0.0\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nendpoints:\n  - path: /broken\n    method: GET\n',
  );
  await writeFile(join(dir, 'broken', 'index.mjs'), 'throw new Error("cannot import me");\n');
  const s = await startServe(['--state-dir', await tmpDir('st'), '--plugins', join(ROOT, 'examples'), '--plugins', dir]);
  t.after(() => s.stop());
  assert.match(s.out(), /broken\s+1\.0\.0\s+handler\s+inprocess\s+failed/);
  assert.equal((await http(`${s.url}/hello`)).status, 200);
  const b = await http(`${s.url}/broken`);
  assert.equal(b.status, 503);
  assert.equal(b.json.error.code, 'PLW_ERR_PLUGIN_NOT_RUNNING');
});

test('plugins in a folder of their own (no package.json, no node_modules): ESM .js, TypeScript and plugway/sdk imports, in-process and worker, from the sources and from dist/', async (t) => {
  const dir = await tmpDir('loose');
  const plugins: Record<string, { runtime: string; entry: string; code: string }> = {
    'esm-js': { runtime: 'inprocess', entry: 'index.js', code: "export default { handleRequest() { return { statusCode: 200, body: { ok: 'esm-js' } }; } };\n" },
    'ts-sdk': {
      runtime: 'inprocess',
      entry: 'index.ts',
      code: "import { definePlugin } from 'plugway/sdk';\nconst ok: string = 'ts-sdk';\nexport default definePlugin({ handleRequest() { return { statusCode: 200, body: { ok } }; } });\n",
    },
    'worker-js': {
      runtime: 'worker',
      entry: 'index.js',
      code: "import { definePlugin } from 'plugway/sdk';\nexport default definePlugin({ handleRequest() { return { statusCode: 200, body: { ok: 'worker-js' } }; } });\n",
    },
    'worker-ts': {
      runtime: 'worker',
      entry: 'index.ts',
      code: "import { definePlugin } from 'plugway/sdk';\nconst ok: string = 'worker-ts';\nexport default definePlugin({ handleRequest() { return { statusCode: 200, body: { ok } }; } });\n",
    },
  };
  for (const [id, p] of Object.entries(plugins)) {
    await mkdir(join(dir, id));
    await writeFile(join(dir, id, 'plugin.yaml'), `id: ${id}\nversion: 1.0.0\nkind: handler\nruntime:\n  type: ${p.runtime}\n  entry: ${p.entry}\nendpoints:\n  - path: /${id}\n    method: GET\n`);
    await writeFile(join(dir, id, p.entry), p.code);
  }
  for (const useDist of ['0', '1']) {
    const s = await startServe(['--plugins', dir, '--state-dir', await tmpDir('loose-state')], { PLUGWAY_USE_DIST: useDist });
    t.after(() => s.stop());
    for (const id of Object.keys(plugins)) {
      const r = await http(`${s.url}/${id}`);
      assert.equal(r.status, 200, `${id} (PLUGWAY_USE_DIST=${useDist}): ${r.text}\n${s.out()}`);
      assert.equal(r.json.ok, id);
    }
    await s.stop();
  }
});

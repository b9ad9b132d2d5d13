// `plugway serve` with the sandbox on: the Python handler, the shell-script plugin and the Python JWT
// auth plugin (as the gateway's auth plugin) from examples/ answer over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binarySkip } from '../helpers/services.js';
import { serveOutput } from '../helpers/serve-output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = binarySkip('bwrap', 'bubblewrap');
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';

function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}

test('serve: Python and shell-script plugins answer in their sandboxes; a Python auth plugin guards a route', { skip, timeout: 60_000 }, async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'plugway-serve-process-'));
  const extra = join(cwd, 'plugins');
  await mkdir(join(extra, 'guarded'), { recursive: true });
  await writeFile(
    join(extra, 'guarded', 'plugin.yaml'),
    'id: guarded\nversion: 1.0.0\nkind: handler\nruntime:\n  type: process\n  entry: plugin.py\nendpoints:\n  - path: /guarded\n    method: GET\n    auth: required\n    permissions: ["orders:read"]\n',
  );
  await writeFile(join(extra, 'guarded', 'plugin.py'), 'def handle_request(req, ctx):\n    return {"status_code": 200, "body": {"user": req.user_id}}\n');
  await writeFile(join(cwd, 'plugway.yaml'), `gateway:\n  auth:\n    plugin: python-jwt-auth\nplugins:\n  configs:\n    python-jwt-auth:\n      config:\n        secret_key: "${SECRET}"\n`);
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/plugway.js'), 'serve', '--config', join(cwd, 'plugway.yaml'), '--port', '0', '--state-dir', join(cwd, 'state'), '--plugins', join(ROOT, 'examples'), '--plugins', extra],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PLUGWAY_ADMIN_TOKEN: 't' },
    },
  );
  t.after(() => child.kill('SIGTERM'));
  const served = serveOutput(child);
  const url = await served.url;
  assert.match(served.output(), /python-hello\s+1\.0\.0\s+handler\s+process\s+running/);
  assert.match(served.output(), /native-shell\s+1\.0\.0\s+handler\s+process\s+running/);
  assert.doesNotMatch(served.output(), /UNSANDBOXED/);

  const hello = await fetch(`${url}/py/hello?name=Ada`);
  assert.equal(hello.status, 200);
  assert.deepEqual(((await hello.json()) as { message: string }).message, 'Hello, Ada!');
  const count = await fetch(`${url}/py/count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 3 }) });
  assert.deepEqual(await count.json(), { total: 3 });
  const native = await fetch(`${url}/native/hello`);
  assert.equal(native.status, 200);
  assert.deepEqual(await native.json(), { hello: 'from a shell script', calls: 1, uid: 65534 });

  assert.equal((await fetch(`${url}/guarded`)).status, 401);
  const bad = await fetch(`${url}/guarded`, { headers: { authorization: `Bearer ${jwt({ sub: 'eve' })}x` } });
  assert.equal(bad.status, 401);
  const reader = await fetch(`${url}/guarded`, { headers: { authorization: `Bearer ${jwt({ sub: 'ada', permissions: ['orders:read'] })}` } });
  assert.equal(reader.status, 200, await reader.clone().text());
  assert.deepEqual(await reader.json(), { user: 'ada' });
  const other = await fetch(`${url}/guarded`, { headers: { authorization: `Bearer ${jwt({ sub: 'bob', permissions: ['orders:write'] })}` } });
  assert.equal(other.status, 403);
  const admin = await fetch(`${url}/guarded`, { headers: { authorization: `Bearer ${jwt({ sub: 'root', roles: ['admin'] })}` } });
  assert.equal(admin.status, 200);
});

test('serve without a working bwrap: process plugins fail with PLW_ERR_SANDBOX_UNAVAILABLE naming the package; the rest serves', { timeout: 60_000 }, async (t) => {
  const cwd = await mkdtemp(join(tmpdir(), 'plugway-serve-nobwrap-'));
  const child = spawn(process.execPath, [join(ROOT, 'bin/plugway.js'), 'serve', '--port', '0', '--state-dir', join(cwd, 'state'), '--plugins', join(ROOT, 'examples')], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PLUGWAY_ADMIN_TOKEN: 't', PLUGWAY_BWRAP: join(cwd, 'no-bwrap-here') },
  });
  t.after(() => child.kill('SIGTERM'));
  const served = serveOutput(child);
  const url = await served.url;
  assert.match(served.output(), /python-hello\s+1\.0\.0\s+handler\s+process\s+failed/);
  assert.equal((await fetch(`${url}/hello`)).status, 200, 'an in-process example still answers');
  const info = (await (await fetch(`${url}/admin/plugins/python-hello`, { headers: { authorization: 'Bearer t' } })).json()) as { state: string; error?: { code: string; message: string } };
  assert.equal(info.state, 'failed');
  assert.equal(info.error?.code, 'PLW_ERR_SANDBOX_UNAVAILABLE');
  assert.match(info.error!.message, /apt-get install bubblewrap/);
  const call = await fetch(`${url}/py/hello`);
  assert.equal(call.status, 503);
});

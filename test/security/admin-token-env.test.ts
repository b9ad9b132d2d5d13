// Item 7 of issue 23: plugin code cannot read the admin token. `plugway serve` started with
// PLUGWAY_ADMIN_TOKEN runs the gateway without it in its environment (process.env and
// /proc/self/environ, which in-process and worker plugins can both read), and the admin API still
// accepts it. A token that plugin code could read is refused: admin calls with it are impossible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { http, makeHost, startGateway } from '../gateway/helpers.js';
import { handlerYaml, pluginFolders } from './helpers.js';
import { waitFor } from '../helpers/wait.js';
import { serveOutput } from '../helpers/serve-output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'op-token-5b0d2c71e9a84f6f';

const SNOOP = `import { readFileSync } from 'node:fs';
export default { handleRequest() {
  let environ = '';
  try { environ = readFileSync('/proc/self/environ', 'latin1'); } catch (e) { environ = 'unreadable: ' + e.code; }
  return { statusCode: 200, body: { env: JSON.stringify(process.env), environ } };
} };`;

async function serve(env: NodeJS.ProcessEnv) {
  const plugins = await pluginFolders([
    { id: 'snoop-inproc', yaml: handlerYaml('inprocess', ['/snoop/inproc']), code: SNOOP },
    { id: 'snoop-worker', yaml: handlerYaml('worker', ['/snoop/worker']), code: SNOOP },
  ]);
  const cwd = await mkdtemp(join(tmpdir(), 'plugway-token-'));
  const child = spawn(process.execPath, [join(ROOT, 'bin/plugway.js'), 'serve', '--port', '0', '--state-dir', join(cwd, 'state'), '--plugins', plugins], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const served = serveOutput(child);
  const url = await served.url;
  const stopped = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  return { url, child, stopped, output: served.output };
}

test('serve with PLUGWAY_ADMIN_TOKEN: plugins find it neither in process.env nor in /proc/self/environ; the admin API accepts it', { timeout: 90_000 }, async (t) => {
  const { PLUGWAY_ADMIN_TOKEN: _drop, ...base } = process.env;
  const s = await serve({ ...base, PLUGWAY_ADMIN_TOKEN: TOKEN, PLUGWAY_LOG_LEVEL: 'warn' });
  t.after(() => s.child.kill('SIGKILL'));
  for (const path of ['/snoop/inproc', '/snoop/worker']) {
    const r = await http(`${s.url}${path}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(!r.json.env.includes(TOKEN), `${path}: the token is in process.env`);
    assert.ok(!r.json.environ.includes(TOKEN), `${path}: the token is in /proc/self/environ`);
  }
  const admin = await http(`${s.url}/admin/plugins`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(admin.status, 200, admin.text);
  assert.doesNotMatch(s.output(), new RegExp(TOKEN), 'the token is not printed');
  // SIGTERM reaches the gateway and ends it cleanly.
  s.child.kill('SIGTERM');
  assert.equal(await s.stopped, 0);
});

test('a token plugin code can read from the environment is refused for admin calls', async (t) => {
  const host = await makeHost([]);
  const name = 'PLUGWAY_TEST_LEAKED_TOKEN';
  process.env[name] = TOKEN;
  t.after(() => delete process.env[name]);
  // An embedding application passing the token it read from its (plugin-readable) environment.
  const gw = await startGateway(host, { env: { PLUGWAY_ADMIN_TOKEN: process.env[name] } });
  t.after(async () => {
    await gw.close();
    await host.stop();
  });
  const r = await http(`${gw.url}/admin/plugins`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 401, r.text);
  assert.equal(r.json.error.code, 'PLW_ERR_ADMIN_TOKEN_EXPOSED');
  assert.match(r.json.error.message, /environment/);
});

test('the re-executed gateway does not outlive a serve process killed with SIGKILL', { timeout: 90_000 }, async (t) => {
  const { PLUGWAY_ADMIN_TOKEN: _drop, ...base } = process.env;
  const s = await serve({ ...base, PLUGWAY_ADMIN_TOKEN: TOKEN, PLUGWAY_LOG_LEVEL: 'warn' });
  t.after(() => s.child.kill('SIGKILL'));
  assert.equal((await http(`${s.url}/snoop/inproc`)).status, 200);
  s.child.kill('SIGKILL');
  await s.stopped;
  // The gateway child notices and stops: its port stops answering.
  const down = () =>
    fetch(`${s.url}/snoop/inproc`, { signal: AbortSignal.timeout(1000) }).then(
      () => false,
      () => true,
    );
  await waitFor(down, { timeoutMs: 20_000, everyMs: 200, what: 'the gateway to stop serving after its parent died' });
});

// The process runtime with real child processes under bubblewrap: the Python SDK's shapes, host calls,
// instances, deaths mid-call, deadlines, crash loops, the CPU quota, and a missing sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcessRuntime } from '../../src/runtimes/process/index.js';
import type { PluginManifest } from '../../src/manifest/types.js';
import type { PluginResponse } from '../../src/sdk/types.js';
import { isPlugwayError } from '../../src/errors.js';
import { binarySkip } from '../helpers/services.js';
import { harness, manifest } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const skip = binarySkip('bwrap', 'bubblewrap');
const req = (path: string, over: Record<string, unknown> = {}) => ({ id: 'r1', method: 'GET', path, params: {}, query: {}, headers: {}, context: {}, ...over });

async function plugin(files: Record<string, string>, over: Partial<PluginManifest> = {}, id = 'proc-test') {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-proc-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
    if (name.endsWith('.sh')) await chmod(join(dir, name), 0o755);
  }
  const m = manifest({ id, ...over, runtime: { type: 'process', instances: 1, ...(over.runtime ?? {}) } });
  const entry = files['plugin.py'] ? join(dir, 'plugin.py') : files['plugin.sh'] ? join(dir, 'plugin.sh') : undefined;
  const h = harness(m, entry, { greeting: 'Hi' }, { pluginDir: dir });
  return { dir, h, m };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.ok(isPlugwayError(err), `not a PlugwayError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test('a Python module of top-level functions is a plugin: Veza field names, ctx, async def, stderr into the log', { skip }, async () => {
  const { h } = await plugin(
    {
      'plugin.py': `
import os, sys
def init(ctx):
    ctx.storage.set("inited", ctx.config["greeting"])
def handle_request(req, ctx):
    print("to stderr, not the protocol")
    ctx.logger.info("handled", path=req.path)
    ctx.emit("py.handled", {"path": req["path"]})
    n = (ctx.storage.get("n") or 0) + 1
    ctx.storage.set("n", n)
    return {"status_code": 201, "headers": {"x-py": "1"}, "body": {"req": dict(req), "n": n, "uid": os.getuid(), "env": sorted(os.environ)}, "metadata": {"m": 1}}
async def health_check(ctx):
    return {"status": "healthy", "details": {"flags": ctx.flags.all()}}
def execute(action, params, ctx):
    return {"action": action, "params": params}
`,
    },
    { actions: ['double'], permissions: { network: [], env: ['PLW_TEST_GRANTED'], fs: [] } },
  );
  process.env.PLW_TEST_GRANTED = 'yes';
  process.env.PLW_TEST_SECRET = 'no';
  const rt = createProcessRuntime(h.init);
  await rt.load();
  try {
    for (const m of ['init', 'handleRequest', 'healthCheck', 'execute']) assert.ok(rt.implements(m), m);
    assert.equal(rt.implements('onRequest'), false);
    await rt.call('init');
    assert.equal(h.storage.get('inited'), 'Hi');
    const res = await rt.call<PluginResponse>('handleRequest', [req('/py', { userId: 'u7', body: { a: [1, 2] }, context: { tag: 'x' } })]);
    assert.equal(res.statusCode, 201);
    assert.deepEqual(res.headers, { 'x-py': '1' });
    assert.deepEqual(res.metadata, { m: 1 });
    const body = res.body as { req: Record<string, unknown>; n: number; uid: number; env: string[] };
    assert.deepEqual(
      { id: body.req.id, method: body.req.method, path: body.req.path, user_id: body.req.user_id, body: body.req.body, context: body.req.context },
      { id: 'r1', method: 'GET', path: '/py', user_id: 'u7', body: { a: [1, 2] }, context: { tag: 'x' } },
    );
    assert.equal(body.n, 1);
    assert.equal(body.uid, 65534, 'runs as nobody');
    assert.ok(body.env.includes('PLW_TEST_GRANTED'));
    assert.ok(!body.env.includes('PLW_TEST_SECRET') && !body.env.includes('PATH') && !body.env.includes('HOME'), body.env.join(','));
    assert.deepEqual(
      h.emitted.map((e) => [e.type, e.data]),
      [['py.handled', { path: '/py' }]],
    );
    assert.deepEqual(await rt.call('healthCheck'), { status: 'healthy', details: { flags: {} } });
    assert.deepEqual(await rt.call('execute', ['double', { x: 2 }]), { action: 'double', params: { x: 2 } });
    await rejectsWith(rt.call('execute', ['drop', {}]), 'PLW_ERR_ACTION_NOT_ALLOWED');
    assert.ok(h.logs.some((l) => l.msg === 'handled' && l.path === '/py' && l.plugin_id === 'proc-test'));
    assert.ok(h.logs.some((l) => l.msg === 'to stderr, not the protocol' && l.stream === 'stderr'));
  } finally {
    await rt.dispose();
  }
});

test('a class plugin with async methods; a raised PluginError keeps its code; bytes bodies cross as bytes', { skip }, async () => {
  const { h } = await plugin(
    {
      'plugin.py': `
import asyncio
from plugway import Plugin, PluginError
class Auth(Plugin):
    async def authenticate(self, req, ctx):
        await asyncio.sleep(0)
        tok = req.header("authorization")
        return {"id": "ada", "roles": ["admin"]} if tok == "Bearer good" else None
    async def authorize(self, user, resource, action, ctx):
        return user["id"] == "ada" and action == "read"
    def handle_request(self, req, ctx):
        if req.path == "/bytes":
            return {"status_code": 200, "body": bytes(req.body)[::-1]}
        raise PluginError("PLW_ERR_FORBIDDEN", "no", reason="plugin said no")
`,
    },
    { kind: 'auth' },
  );
  const rt = createProcessRuntime(h.init);
  await rt.load();
  try {
    assert.deepEqual(await rt.call('authenticate', [req('/', { headers: { authorization: 'Bearer good' } })]), { id: 'ada', roles: ['admin'] });
    assert.equal(await rt.call('authenticate', [req('/')]), null);
    assert.equal(await rt.call('authorize', [{ id: 'ada' }, 'orders', 'read']), true);
    assert.equal(await rt.call('authorize', [{ id: 'ada' }, 'orders', 'write']), false);
    const bytes = await rt.call<PluginResponse>('handleRequest', [req('/bytes', { body: new Uint8Array([1, 2, 3]) })]);
    assert.deepEqual([...(bytes.body as Uint8Array)], [3, 2, 1]);
    const err = await rejectsWith(rt.call('handleRequest', [req('/x')]), 'PLW_ERR_FORBIDDEN');
    assert.match(err.message, /plugin said no/);
  } finally {
    await rt.dispose();
  }
});

test('a shell script is a plugin; two instances share the calls (least busy)', { skip }, async () => {
  const { h } = await plugin(
    {
      'plugin.sh': `#!/bin/sh
read -r hello
inst=\${hello#*\\"instance\\":}; inst=\${inst%%,*}
echo '{"type":"ready","methods":["handle_request"]}'
while read -r line; do
  rest=\${line#*\\"id\\":}; id=\${rest%%[,\\}]*}
  case "$line" in
    '{"type":"call"'*) sleep 0.2; printf '{"type":"result","id":%s,"ok":true,"value":{"status_code":200,"body":"%s"}}\\n' "$id" "$inst" ;;
    '{"type":"ping"'*) printf '{"type":"pong","id":%s}\\n' "$id" ;;
  esac
done
`,
    },
    { runtime: { type: 'process', instances: 2 } },
  );
  const rt = createProcessRuntime(h.init);
  await rt.load();
  try {
    const answers = await Promise.all([1, 2, 3, 4].map(() => rt.call<PluginResponse>('handleRequest', [req('/')])));
    assert.ok(answers.every((a) => a.statusCode === 200));
    assert.equal(new Set(answers.map((a) => a.body)).size, 2, 'both instances answered');
  } finally {
    await rt.dispose();
  }
});

test('many calls in flight to one instance (sent in batched writes, long bodies as raw bytes) each get their own answer', { skip }, async () => {
  const { h } = await plugin({
    'plugin.py': `
def handle_request(req, ctx):
    body = req.body or ""
    return {"status_code": 200, "body": {"i": req.query["i"], "len": len(body), "tail": body[-3:]}}
`,
  });
  const rt = createProcessRuntime(h.init);
  await rt.load();
  try {
    const bodies = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? `${'é'.repeat(3000 + i)}${i}` : `short ${i}`));
    const answers = await Promise.all(bodies.map((body, i) => rt.call<PluginResponse>('handleRequest', [req('/', { query: { i: String(i) }, body })])));
    for (const [i, a] of answers.entries()) assert.deepEqual(a.body, { i: String(i), len: bodies[i]!.length, tail: bodies[i]!.slice(-3) }, `call ${i}`);
  } finally {
    await rt.dispose();
  }
});

test('a process that dies mid-call fails that call only, with a code; a stuck one is killed at its deadline; both come back', { skip }, async () => {
  const { h } = await plugin(
    {
      'plugin.py': `
import os, time
def handle_request(req, ctx):
    if req.path == "/die":
        os._exit(3)
    if req.path == "/stuck":
        while True:
            pass
    if req.path == "/slow":
        time.sleep(0.3)
    return {"status_code": 200, "body": os.getpid()}
`,
    },
    { runtime: { type: 'process', instances: 2 } },
  );
  const rt = createProcessRuntime(h.init, { backoffBaseMs: 20 });
  await rt.load();
  try {
    const slow = rt.call<PluginResponse>('handleRequest', [req('/slow')]);
    const die = await rejectsWith(rt.call('handleRequest', [req('/die')]), 'PLW_ERR_PROCESS_CRASHED');
    assert.match(die.message, /exited with code 3/);
    assert.equal((await slow).statusCode, 200, 'the call on the other instance succeeded');
    await h.nextEvent('runtime.process_restarted');
    assert.ok(h.events.some((e) => e.type === 'runtime.process_crashed' && e.data.code === 'PLW_ERR_PROCESS_CRASHED'));
    await rejectsWith(rt.call('handleRequest', [req('/stuck')], { deadline: Date.now() + 300 }), 'PLW_ERR_PLUGIN_TIMEOUT');
    const killed = await h.nextEvent('runtime.process_terminated');
    assert.equal(killed.data.code, 'PLW_ERR_PROCESS_TERMINATED');
    const after = h.events.length;
    await h.nextEvent('runtime.process_restarted', after);
    assert.equal((await rt.call<PluginResponse>('handleRequest', [req('/ok')])).statusCode, 200);
    assert.ok(rt.stats().restarts >= 2);
  } finally {
    await rt.dispose();
  }
});

test('exit(1) in a loop: restarts with growing backoff, then failed', { skip }, async () => {
  const { h } = await plugin({
    'plugin.py': `
import os, threading
threading.Timer(0.05, os._exit, [1]).start()
def handle_request(req, ctx):
    return {"status_code": 200}
`,
  });
  const rt = createProcessRuntime(h.init, { backoffBaseMs: 20, restartLimit: 4 });
  await rt.load();
  try {
    const limit = await h.nextEvent('runtime.process_restart_limit');
    assert.equal(limit.data.code, 'PLW_ERR_PROCESS_RESTART_LIMIT');
    const delays = h.events.filter((e) => e.type === 'runtime.process_restarting').map((e) => e.data.delayMs as number);
    assert.deepEqual(delays, [20, 40, 80]);
    assert.equal(h.asyncErrors.length, 1, 'the host is told to fail the plugin');
    assert.equal((h.asyncErrors[0] as { code?: string }).code, 'PLW_ERR_PROCESS_RESTART_LIMIT');
    await rejectsWith(rt.call('handleRequest', [req('/')]), 'PLW_ERR_PROCESS_RESTART_LIMIT');
  } finally {
    await rt.dispose();
  }
});

test('resources.cpu: 0.1 holds a spinning process to ≤ 0.15 of a core (cgroup CPU counter)', { skip }, async () => {
  const { h } = await plugin({ 'plugin.py': 'def handle_request(req, ctx):\n    while True:\n        pass\n' }, { resources: { cpu: 0.1, timeoutMs: 5000 } });
  const rt = createProcessRuntime(h.init);
  await rt.load();
  try {
    const procs = () => (rt as unknown as { processes(): Array<{ cpuMs?: number }> }).processes();
    assert.notEqual(procs()[0]!.cpuMs, undefined, 'the instance has a cgroup to measure');
    const spin = rt.call('handleRequest', [req('/')], { deadline: Date.now() + 2500 }).catch((e: unknown) => e);
    const idle = procs()[0]!.cpuMs!;
    await waitFor(() => procs()[0]!.cpuMs! > idle, { what: 'the spin to start using CPU' });
    const c0 = procs()[0]!.cpuMs!;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1500)); // the measuring window itself (a share of CPU over time), not a wait for something
    const share = (procs()[0]!.cpuMs! - c0) / (performance.now() - t0);
    assert.ok(share <= 0.15, `CPU share ${share.toFixed(3)} > 0.15`);
    assert.ok(share > 0.02, `CPU share ${share.toFixed(3)}: the spin did not run at all?`);
    const err = (await spin) as { code?: string };
    assert.equal(err.code, 'PLW_ERR_PLUGIN_TIMEOUT');
  } finally {
    await rt.dispose();
  }
});

test('without bwrap a process plugin fails with a code naming the Debian package; sandbox: false runs it with a warning', { skip }, async () => {
  const { h } = await plugin({ 'plugin.py': 'def handle_request(req, ctx):\n    return {"status_code": 200, "body": "unsandboxed"}\n' });
  const saved = process.env.PLUGWAY_BWRAP;
  process.env.PLUGWAY_BWRAP = '/nonexistent/bwrap';
  try {
    const rt = createProcessRuntime(h.init);
    const err = await rejectsWith(rt.load(), 'PLW_ERR_SANDBOX_UNAVAILABLE');
    assert.match(err.message, /bubblewrap/);
    assert.ok(h.events.some((e) => e.type === 'runtime.sandbox_unavailable'));
    await rt.dispose();
    const open = createProcessRuntime({ ...h.init, sandbox: false });
    await open.load();
    try {
      assert.equal((await open.call<PluginResponse>('handleRequest', [req('/')])).body, 'unsandboxed');
      assert.ok(h.logs.some((l) => l.level === 40 && /UNSANDBOXED/.test(String(l.msg))));
    } finally {
      await open.dispose();
    }
  } finally {
    if (saved === undefined) delete process.env.PLUGWAY_BWRAP;
    else process.env.PLUGWAY_BWRAP = saved;
  }
});

test('long request bodies cross as raw bytes after the call line: exact text, newlines and non-ASCII included', { skip }, async () => {
  const { h } = await plugin({
    'plugin.py':
      'import hashlib\ndef handle_request(req, ctx):\n    return {"status_code": 200, "body": {"len": len(req.body), "sha": hashlib.sha256(req.body.encode()).hexdigest(), "path": req.path}}\n',
  });
  const rt = createProcessRuntime(h.init);
  await rt.load();
  try {
    const { createHash } = await import('node:crypto');
    for (const body of ['short', 'é\n"x"\\'.repeat(5000) + 'end', 'a'.repeat(70_000)]) {
      const res = await rt.call<PluginResponse>('handleRequest', [req('/raw', { body })]);
      assert.deepEqual(res.body, { len: body.length, sha: createHash('sha256').update(body).digest('hex'), path: '/raw' });
    }
  } finally {
    await rt.dispose();
  }
});

test('the sandbox filesystem: its folder read-only, /tmp bounded by resources.disk, no /etc/passwd, no home, no network', { skip }, async () => {
  const { h } = await plugin(
    {
      'plugin.py': `import errno, os, socket
def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def write(path, n):
    with open(path, "wb") as f:
        f.write(b"x" * n)
def handle_request(req, ctx):
    return {"status_code": 200, "body": {
        "own_folder": attempt(lambda: write("/plugin/new-file", 10)),
        "tmp_small": attempt(lambda: write("/tmp/small", 1000)),
        "tmp_big": attempt(lambda: write("/tmp/big", 3 * 1024 * 1024)),
        "passwd": attempt(lambda: open("/etc/passwd").read()),
        "home": attempt(lambda: os.listdir("/root")),
        "net": attempt(lambda: socket.create_connection(("127.0.0.1", 6379), timeout=1)),
        "root": sorted(os.listdir("/")),
    }}
`,
    },
    { resources: { disk: 2 } },
  );
  const rt = createProcessRuntime(h.init);
  await rt.load();
  try {
    const res = await rt.call<PluginResponse>('handleRequest', [req('/')]);
    const b = res.body as Record<string, unknown>;
    assert.equal(b.own_folder, 'EROFS');
    assert.equal(b.tmp_small, 'ok');
    assert.equal(b.tmp_big, 'ENOSPC');
    assert.equal(b.passwd, 'ENOENT');
    assert.equal(b.home, 'ENOENT');
    assert.equal(b.net, 'ECONNREFUSED');
    assert.deepEqual(
      (b.root as string[]).filter((d) => !['bin', 'lib', 'lib64', 'lib32', 'sbin'].includes(d)),
      ['dev', 'etc', 'opt', 'plugin', 'proc', 'tmp', 'usr'],
    );
  } finally {
    await rt.dispose();
  }
});

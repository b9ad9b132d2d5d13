// The plugin author's path end to end, through the real CLI: create → test → pack → sign →
// install into a gateway's plugins folder → the gateway serves it → plugin list shows it running
// → tampered packages are refused. Prints the time from create to the first served request.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import * as tar from 'tar';
import { request } from 'undici';
import { createGateway } from '../../src/gateway/index.js';
import { defaultHostConfig } from '../../src/host/config.js';
import { createHost } from '../../src/host/index.js';
import type { Host } from '../../src/host/types.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'plugway.js');
const work = mkdtempSync(join(tmpdir(), 'plugway-e2e-toolkit-'));
const TOKEN = 'e2e-admin-token';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await cli(args, env);
  assert.equal(r.code, 0, `plugway ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function refused(args: string[], code: string): Promise<void> {
  const r = await cli(args);
  assert.notEqual(r.code, 0, `plugway ${args.join(' ')} should fail`);
  assert.match(r.stderr, new RegExp(code), r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one-line error, got:\n${r.stderr}`);
}

/** The wasm runtime is another part; until it lands the wasm path is reported as skipped. */
const wasmMissing = existsSync(join(root, 'src/runtimes/wasm/index.ts')) ? false : 'the wasm runtime (src/runtimes/wasm) has not landed yet';

const timings: Record<string, number> = {};
let pubKey: string;
let privKey: string;

before(async () => {
  await ok(['plugin', 'keygen', '--out', join(work, 'keys')]);
  pubKey = join(work, 'keys', 'plugway-signing.pub');
  privKey = join(work, 'keys', 'plugway-signing.key');
});

after(() => {
  const rows = Object.entries(timings).map(([rt, ms]) => `  ${rt.padEnd(10)} ${(ms / 1000).toFixed(1)} s`);
  if (rows.length) process.stdout.write(`\ntime from plugin create to the first served request:\n${rows.join('\n')}\n`);
  rmSync(work, { recursive: true, force: true });
});

async function serve(pluginsDir: string, stateDir: string): Promise<{ host: Host; app: FastifyInstance; url: string }> {
  const config = defaultHostConfig();
  config.plugins.directories = [pluginsDir];
  config.state.dir = stateDir;
  config.logging.level = 'silent';
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  const app = await createGateway({ host, logger: pino({ level: 'silent' }), stateDir, env: { PLUGWAY_ADMIN_TOKEN: TOKEN } });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { host, app, url };
}

for (const runtime of ['inprocess', 'worker', 'wasm'] as const) {
  describe(`${runtime} plugin: create → served → listed`, { skip: runtime === 'wasm' ? wasmMissing : false }, () => {
    const id = `hello-${runtime}`;
    const dir = join(work, id);
    const pluginsDir = join(work, `plugins-${runtime}`);
    let tgz: string;
    let gw: { host: Host; app: FastifyInstance; url: string } | undefined;

    after(async () => {
      await gw?.app.close();
      await gw?.host.stop();
    });

    test('create, test, pack, sign, install, serve', async () => {
      const t0 = performance.now();
      await ok(['plugin', 'create', id, '--runtime', runtime, '--dir', work]);
      const report = JSON.parse(await ok(['plugin', 'test', dir, '--json', '--rounds', '5'])) as { ok: boolean; fixtures: unknown[]; plugin: { runtime: string } };
      assert.equal(report.ok, true);
      assert.equal(report.plugin.runtime, runtime);
      assert.ok(report.fixtures.length > 0);
      const packed = JSON.parse(await ok(['plugin', 'pack', dir, '--json'])) as { file: string };
      tgz = packed.file;
      await ok(['plugin', 'sign', tgz, '--key', privKey]);
      await ok(['plugin', 'verify', tgz, '--key', pubKey]);
      await ok(['plugin', 'install', tgz, '--plugins', pluginsDir, '--trusted-key', pubKey]);
      gw = await serve(pluginsDir, join(work, `state-${runtime}`));
      const res = await request(`${gw.url}/${id}/hello/Ada`);
      const body = (await res.body.json()) as { message: string };
      timings[runtime] = performance.now() - t0;
      assert.equal(res.statusCode, 200);
      assert.equal(body.message, 'Hello, Ada!');
    });

    test('plugin list and info show it running; disable and enable steer it', async () => {
      assert.ok(gw, 'the gateway started');
      const env = { PLUGWAY_ADMIN_TOKEN: TOKEN };
      const listed = JSON.parse(await ok(['plugin', 'list', '--url', gw.url, '--json'], env)) as { plugins: Array<{ id: string; state: string; runtime: string }>; count: number };
      const me = listed.plugins.find((p) => p.id === id);
      assert.equal(me?.state, 'running');
      assert.equal(me?.runtime, runtime);
      const table = await ok(['plugin', 'list', '--url', gw.url], env);
      assert.match(table, new RegExp(`^${id}\\s+0\\.1\\.0\\s+handler\\s+${runtime}\\s+yes\\s+running`, 'm'));
      const info = JSON.parse(await ok(['plugin', 'info', id, '--url', gw.url, '--json'], env)) as { id: string };
      assert.equal(info.id, id);

      await ok(['plugin', 'disable', id, '--url', gw.url], env);
      assert.equal((await request(`${gw.url}/${id}/hello/Ada`)).statusCode, 503);
      await ok(['plugin', 'enable', id, '--url', gw.url], env);
      assert.equal((await request(`${gw.url}/${id}/hello/Ada`)).statusCode, 200);

      const wrong = await cli(['plugin', 'list', '--url', gw.url, '--token', 'wrong']);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^plugway: PLW_ERR_ADMIN_UNAUTHORIZED: .+\n$/);
    });

    test('tampered, unsigned and foreign-signed packages are refused; nothing is left behind', async () => {
      const before = readdirSync(pluginsDir).sort();
      const evil = join(work, `${id}-evil.tgz`);
      const unpacked = mkdtempSync(join(work, 'evil-'));
      await tar.x({ file: tgz, cwd: unpacked });
      const entry = runtime === 'wasm' ? 'plugin.wasm' : join('dist', 'index.js');
      writeFileSync(join(unpacked, entry), Buffer.concat([readFileSync(join(unpacked, entry)), Buffer.from('\n')]));
      await tar.c({ gzip: true, file: evil, cwd: unpacked, portable: true }, readdirSync(unpacked));
      // the original signature beside the altered package
      writeFileSync(`${evil}.sig`, readFileSync(`${tgz}.sig`));
      const other = join(work, `plugins-other-${runtime}`);
      await refused(['plugin', 'install', evil, '--plugins', other, '--trusted-key', pubKey], 'PLW_ERR_SIGNATURE_INVALID');
      await refused(['plugin', 'install', evil, '--plugins', other], 'PLW_ERR_INTEGRITY_MISMATCH');
      rmSync(`${evil}.sig`);
      await refused(['plugin', 'install', evil, '--plugins', other, '--trusted-key', pubKey], 'PLW_ERR_SIGNATURE_MISSING');
      assert.deepEqual(existsSync(other) ? readdirSync(other) : [], []);
      assert.deepEqual(readdirSync(pluginsDir).sort(), before);
    });
  });
}

test('an unreachable gateway is a one-line error', async () => {
  await refused(['plugin', 'list', '--url', 'http://127.0.0.1:9'], 'PLW_ERR_GATEWAY_UNREACHABLE');
});

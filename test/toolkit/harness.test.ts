// plugway plugin test fails loudly: a wrong fixture, an endpoint without a fixture, a plugin that
// fails to start, a slow call against resources.timeout — each is a failure and exit code 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { testPlugin } from '../../src/toolkit/harness.js';
import { createPlugin } from '../../src/toolkit/scaffold.js';

const work = mkdtempSync(join(tmpdir(), 'plugway-harness-'));
after(() => rmSync(work, { recursive: true, force: true }));
const bin = fileURLToPath(new URL('../../bin/plugway.js', import.meta.url));

test('a fresh scaffold passes; a wrong expectation fails with the difference and exit code 1', async () => {
  const { dir } = createPlugin({ name: 'h-wrong', dir: work });
  assert.equal((await testPlugin(dir, { rounds: 2 })).ok, true);
  const fx = JSON.parse(readFileSync(join(dir, 'fixtures.json'), 'utf8'));
  fx[0].expect.body.message = 'Bonjour, Ada!';
  writeFileSync(join(dir, 'fixtures.json'), JSON.stringify(fx));
  const r = await testPlugin(dir, { rounds: 2 });
  assert.equal(r.ok, false);
  assert.match(r.failures.join('\n'), /body\.message: expected "Bonjour, Ada!", got "Hello, Ada!"/);
  const cli = spawnSync(process.execPath, [bin, 'plugin', 'test', dir, '--rounds', '1'], { encoding: 'utf8' });
  assert.equal(cli.status, 1);
  assert.match(cli.stdout, /FAIL h-wrong/);
});

test('an endpoint without a fixture is a failure', async () => {
  const { dir } = createPlugin({ name: 'h-nofix', dir: work });
  writeFileSync(join(dir, 'fixtures.json'), '[]');
  const r = await testPlugin(dir, { rounds: 1 });
  assert.equal(r.ok, false);
  assert.match(r.failures.join('\n'), /endpoint GET \/h-nofix\/hello\/\{name\} has no fixture/);
});

test('a plugin whose start throws fails at start, with the reason', async () => {
  const { dir } = createPlugin({ name: 'h-bad-start', dir: work });
  const src = readFileSync(join(dir, 'src/index.ts'), 'utf8').replace("ctx.logger.info('started');", "throw new Error('no database');");
  writeFileSync(join(dir, 'src/index.ts'), src);
  const r = await testPlugin(dir, { rounds: 1 });
  assert.equal(r.ok, false);
  assert.equal(r.steps.find((s) => s.step === 'start')?.ok, false);
  assert.match(r.failures.join('\n'), /no database/);
});

test('a call slower than resources.timeout fails the fixture', async () => {
  const { dir } = createPlugin({ name: 'h-slow', dir: work });
  writeFileSync(join(dir, 'plugin.yaml'), readFileSync(join(dir, 'plugin.yaml'), 'utf8').replace('timeout: 2s\nhealth_check', 'timeout: 50ms\nhealth_check'));
  const src = readFileSync(join(dir, 'src/index.ts'), 'utf8').replace(
    'handleRequest(req: PluginRequest, ctx: PluginContext<Config>): PluginResponse {',
    'async handleRequest(req: PluginRequest, ctx: PluginContext<Config>): Promise<PluginResponse> {\n    await new Promise((r) => setTimeout(r, 200));',
  );
  writeFileSync(join(dir, 'src/index.ts'), src);
  const r = await testPlugin(dir, { rounds: 1 });
  assert.equal(r.ok, false);
  assert.match(r.failures.join('\n'), /PLW_ERR_PLUGIN_TIMEOUT/);
});

test('a build error is reported as the build step', async () => {
  const { dir } = createPlugin({ name: 'h-type-error', dir: work });
  writeFileSync(join(dir, 'src/index.ts'), readFileSync(join(dir, 'src/index.ts'), 'utf8').replace('statusCode: 200', "statusCode: '200'"));
  const r = await testPlugin(dir, { rounds: 1 });
  assert.equal(r.ok, false);
  assert.equal(r.steps[0]?.step, 'build');
  assert.match(r.failures[0] ?? '', /PLW_ERR_PLUGIN_BUILD_FAILED[\s\S]*TS2322/);
});

test("an onResponse fixture hands the response as the gateway does: headers is an object even when the fixture's response has none", async () => {
  const { dir } = createPlugin({ name: 'h-inplace', dir: work, kind: 'middleware' });
  const src = readFileSync(join(dir, 'src/index.ts'), 'utf8').replace(
    'return { ...res, headers: { ...res.headers, [ctx.config.header]: ctx.pluginId } };',
    'res.headers![ctx.config.header] = ctx.pluginId; // in place: the gateway hands headers as an object\n    return res;',
  );
  assert.match(src, /in place/);
  writeFileSync(join(dir, 'src/index.ts'), src);
  const r = await testPlugin(dir, { rounds: 1 });
  assert.deepEqual(r.failures, []);
  assert.equal(r.ok, true);
});

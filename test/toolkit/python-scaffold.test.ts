// `plugway plugin create --runtime process --language python` and `plugway plugin test` on the result:
// the scaffold's unittest and its fixtures pass in the sandbox; a failing Python test fails the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { binarySkip } from '../helpers/services.js';

const skip = binarySkip('bwrap', 'bubblewrap');

test('a Python handler scaffold passes plugway plugin test: its unittest, then its fixtures in the sandbox', { skip, timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-pyscaffold-'));
  const created = await runCli(['plugin', 'create', 'py-greeter', '--runtime', 'process', '--language', 'python', '--dir', dir]);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /Created handler plugin py-greeter \(process\)/);
  for (const f of ['plugin.yaml', 'plugin.py', 'fixtures.json', 'test_plugin.py', 'README.md']) assert.match(created.stdout, new RegExp(`\\b${f.replace('.', '\\.')}\\b`));
  const plugin = join(dir, 'py-greeter');
  assert.match(await readFile(join(plugin, 'plugin.yaml'), 'utf8'), /type: process\n\s+entry: plugin\.py/);

  const ok = await runCli(['plugin', 'test', plugin, '--rounds', '3', '--json']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const report = JSON.parse(ok.stdout) as { ok: boolean; plugin: { runtime: string }; steps: Array<{ step: string; ok: boolean; detail?: string }>; fixtures: Array<{ ok: boolean }> };
  assert.equal(report.plugin.runtime, 'process');
  const unit = report.steps.find((s) => s.step === 'unit');
  assert.ok(unit?.ok, JSON.stringify(unit));
  assert.match(unit!.detail!, /Ran 2 tests/);
  assert.ok(report.fixtures.length > 0 && report.fixtures.every((f) => f.ok));

  // A broken expectation in the Python test fails the run and says which test.
  const testFile = join(plugin, 'test_plugin.py');
  await writeFile(testFile, (await readFile(testFile, 'utf8')).replace('"Hello, Ada!"', '"Bonjour, Ada!"'));
  const bad = await runCli(['plugin', 'test', plugin, '--rounds', '1']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /unit\s+FAIL/);
  assert.match(bad.stdout, /test_hello/);
});

test('an auth scaffold in Python passes too; a Python scaffold outside the process runtime is refused', { skip, timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-pyscaffold-'));
  assert.equal((await runCli(['plugin', 'create', 'py-auth', '--kind', 'auth', '--runtime', 'process', '--dir', dir])).code, 0);
  const run = await runCli(['plugin', 'test', join(dir, 'py-auth'), '--rounds', '2']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /PASS py-auth/);
  const refused = await runCli(['plugin', 'create', 'py-x', '--language', 'python', '--dir', dir]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /PLW_ERR_CLI_USAGE: Python plugins run in the process runtime/);
});

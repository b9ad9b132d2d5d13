// Small things a user reads: plugin info shows config (as redacted by the gateway), the wasm refusal's
// grammar, an install error for a bad manifest names the file inside the package (not a deleted temp
// folder), plugin test on a missing folder names it, and the top-level help has examples.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Command } from 'commander';
import * as tar from 'tar';
import { formatInfo } from '../../src/cli/commands/plugin-admin.js';
import { buildProgram } from '../../src/cli/main.js';
import { isPlugwayError } from '../../src/errors.js';
import { testPlugin } from '../../src/toolkit/harness.js';
import { installPlugin } from '../../src/toolkit/install.js';
import { INTEGRITY_FILE, writeIntegrity } from '../../src/toolkit/integrity.js';
import { formatReport } from '../../src/toolkit/report.js';
import { createPlugin } from '../../src/toolkit/scaffold.js';

const work = mkdtempSync(join(tmpdir(), 'plugway-polish-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('plugin info shows the config the gateway sends (secrets already "[REDACTED]")', () => {
  const base = { id: 'hello', version: '1.0.0', kind: 'handler', runtime: 'inprocess', enabled: true, state: 'running', health: 'healthy' };
  const text = formatInfo({ ...base, config: { greeting: 'Hi', api_key: '[REDACTED]', limits: { max: 3 } } });
  assert.match(text, /^config\s+value$/m);
  assert.match(text, /^greeting\s+Hi$/m);
  assert.match(text, /^api_key\s+\[REDACTED\]$/m);
  assert.match(text, /^limits\s+\{"max":3\}$/m);
  assert.match(formatInfo({ ...base, config: {} }), /^config: \(none\)$/m);
});

test('a wasm plugin of another kind is refused in English ("an auth plugin")', () => {
  assert.throws(() => createPlugin({ name: 'w-auth', kind: 'auth', runtime: 'wasm', dir: work }), /use --runtime worker for an auth plugin/);
  assert.throws(() => createPlugin({ name: 'w-mw', kind: 'middleware', runtime: 'wasm', dir: work }), /use --runtime worker for a middleware plugin/);
});

test('install of a package with a bad manifest names plugin.yaml inside the package, not the deleted temporary copy', async () => {
  const stage = join(work, 'bad-stage');
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, 'plugin.yaml'), 'id: bad\nname: bad\nversion: 1.0.0\nkind: nonsense\nruntime:\n  type: inprocess\n  entry: index.mjs\n');
  writeFileSync(join(stage, 'index.mjs'), 'export default {};\n');
  writeIntegrity(stage, ['plugin.yaml', 'index.mjs']);
  const tgz = join(work, 'bad-1.0.0.tgz');
  await tar.c({ gzip: true, file: tgz, cwd: stage, portable: true }, ['plugin.yaml', 'index.mjs', INTEGRITY_FILE]);
  await assert.rejects(installPlugin(tgz, { pluginsDir: join(work, 'plugins') }), (err: unknown) => {
    assert.ok(isPlugwayError(err, 'PLW_ERR_PACKAGE_INVALID'), String(err));
    assert.doesNotMatch(err.message, /\.install-/);
    assert.match(err.message, /plugin\.yaml:4:\d+/);
    return true;
  });
});

test('plugin test on a folder that does not exist names the folder in its verdict', async () => {
  const missing = join(work, 'nonexistent');
  const report = await testPlugin(missing, { rounds: 1 });
  assert.equal(report.ok, false);
  assert.match(formatReport(report), new RegExp(`^FAIL ${missing}: 1 problem$`, 'm'));
});

test('plugway --help ends with examples', async () => {
  const program: Command = await buildProgram();
  let text = '';
  program.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  program.outputHelp();
  assert.match(text, /Examples:\n\s+\$ plugway serve/);
});

// `plugway plugin validate` as a user runs it: a real process on real plugin folders, checking
// exit codes, the one-line summary, every error line, --json, and the entry checks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures/manifests');

function validate(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/plugway.js'), 'plugin', 'validate', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function plugin(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'plw-validate-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

async function wat(source: string): Promise<Uint8Array> {
  const wabt = await (createRequire(import.meta.url)('wabt') as () => Promise<{ parseWat(name: string, src: string): { toBinary(o: object): { buffer: Uint8Array } } }>)();
  return wabt.parseWat('plugin.wat', source).toBinary({}).buffer;
}

test('the seed manifests: exit 0 and the one-line summary (warnings too)', () => {
  const veza = validate(join(fixtures, 'veza'));
  assert.equal(veza.code, 0, veza.out + veza.err);
  assert.equal(veza.out, '✓ ai-recommendations@1.0.0 (handler, wasm): valid — 2 endpoints\n', 'stdout is the one summary line');
  assert.match(veza.err, /warning: .*plugin\.yaml:9:3 PLW_ERR_ENTRY_NOT_FOUND/);
  const kube = validate(join(fixtures, 'kubestack', 'my-plugin.yaml'));
  assert.equal(kube.code, 0, kube.out + kube.err);
  assert.match(kube.out, /^✓ my-plugin@1\.0\.0 \(middleware, inprocess\): valid — 0 endpoints/);
});

test('a broken manifest: exit 1 and every error as file:line:col CODE message', () => {
  const file = join(fixtures, 'broken', 'many-errors.yaml');
  const r = validate(file);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.equal(lines[0], '✗ many-errors.yaml: 7 errors');
  const expected = [
    ['1:1', 'PLW_ERR_MANIFEST_MISSING_FIELD'],
    ['2:1', 'PLW_ERR_MANIFEST_UNKNOWN_FIELD'],
    ['3:7', 'PLW_ERR_MANIFEST_UNKNOWN_KIND'],
    ['5:9', 'PLW_ERR_MANIFEST_UNKNOWN_RUNTIME'],
    ['8:17', 'PLW_ERR_MANIFEST_BAD_RATE_LIMIT'],
    ['11:14', 'PLW_ERR_MANIFEST_BAD_RANGE'],
    ['13:13', 'PLW_ERR_MANIFEST_BAD_DURATION'],
  ];
  assert.equal(lines.length, 1 + expected.length, r.out);
  expected.forEach(([pos, code], i) => assert.ok(lines[i + 1]!.startsWith(`${file}:${pos} ${code} `), lines[i + 1]));
  assert.ok(lines[2]!.includes('did you mean "version"'));
});

test('--json gives the machine-readable result', () => {
  const r = validate(join(fixtures, 'broken', 'many-errors.yaml'), '--json');
  assert.equal(r.code, 1);
  const report = JSON.parse(r.out) as { valid: boolean; errors: Array<{ code: string; line: number; col: number; path: string }> };
  assert.equal(report.valid, false);
  assert.equal(report.errors.length, 7);
  assert.deepEqual(report.errors[4], { ...report.errors[4], code: 'PLW_ERR_MANIFEST_BAD_RATE_LIMIT', line: 8, col: 17, path: 'endpoints[0].rate_limit' });
  const ok = JSON.parse(validate(join(fixtures, 'veza'), '--json').out) as { valid: boolean; id: string; endpoints: number };
  assert.deepEqual([ok.valid, ok.id, ok.endpoints], [true, 'ai-recommendations', 2]);
});

test('a TypeScript factory entry that implements its kind is valid (factory gets the config defaults)', () => {
  const dir = plugin({
    'plugin.yaml': 'id: greeter\nversion: 1.0.0\nendpoints:\n  - path: /hi\nconfig_schema:\n  type: object\n  properties:\n    greeting: { type: string, default: hello }\n',
    'src/index.ts': [
      'export default (opts: { greeting: string }) => {',
      "  if (opts.greeting !== 'hello') throw new Error('factory did not get the defaults');",
      '  return { handleRequest: () => ({ statusCode: 200, body: opts.greeting }) };',
      '};',
    ].join('\n'),
  });
  const r = validate(dir);
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(r.out, '✓ greeter@1.0.0 (handler, inprocess): valid — 1 endpoint\n');
});

test('entry checks: kind contract, engine range, a module that throws at import', () => {
  const lacking = validate(plugin({ 'plugin.yaml': 'id: lazy\nversion: 1.0.0\nkind: auth\n', 'index.mjs': 'export default { handleRequest() {} }\n' }));
  assert.equal(lacking.code, 1);
  assert.match(lacking.out, /plugin\.yaml:3:7 PLW_ERR_KIND_CONTRACT Plugin lazy is of kind auth but does not implement authenticate/);

  const future = validate(plugin({ 'plugin.yaml': 'id: future\nversion: 1.0.0\nengine: ">=99.0.0"\n', 'index.mjs': 'export default { handleRequest() {} }\n' }));
  assert.equal(future.code, 1);
  assert.match(future.out, /plugin\.yaml:3:9 PLW_ERR_ENGINE_MISMATCH Plugin future requires plugway >=99\.0\.0/);

  const throws = validate(plugin({ 'plugin.yaml': 'id: boom\nversion: 1.0.0\nruntime:\n  entry: index.mjs\n', 'index.mjs': "throw new Error('kaboom at import');\n" }));
  assert.equal(throws.code, 1, throws.out + throws.err);
  assert.match(throws.out, /plugin\.yaml:4:10 PLW_ERR_PLUGIN_IMPORT_FAILED Plugin boom: importing .*index\.mjs failed: kaboom at import/);
  assert.equal(throws.err, '');

  const noDefault = validate(plugin({ 'plugin.yaml': 'id: nodef\nversion: 1.0.0\n', 'index.js': 'export const x = 1;\n', 'package.json': '{"type":"module"}' }));
  assert.equal(noDefault.code, 1);
  assert.match(noDefault.out, /PLW_ERR_ENTRY_INVALID Plugin nodef: entry .* has no default export/);
});

test('a manifest file of any name: the file beside it with its name is the entry, as the host loads it', () => {
  const dir = plugin({ 'greet.yaml': 'id: greet\nversion: 1.0.0\nkind: handler\n', 'greet.mjs': 'export default { handleRequest: () => ({ statusCode: 200 }) };\n' });
  const ok = validate(join(dir, 'greet.yaml'));
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.equal(ok.out, '✓ greet@1.0.0 (handler, inprocess): valid — 0 endpoints\n', 'no "no entry file yet" warning');
  writeFileSync(join(dir, 'greet.mjs'), 'export default { hello: 1 };\n');
  const lacking = validate(join(dir, 'greet.yaml'));
  assert.equal(lacking.code, 1);
  assert.match(lacking.out, /greet\.yaml:3:7 PLW_ERR_KIND_CONTRACT Plugin greet is of kind handler but does not implement handleRequest/);
});

test("wasm entries: compiled and checked for handle_request or the endpoints' functions", async () => {
  const good = plugin({
    'plugin.yaml': 'id: wasm-ok\nversion: 1.0.0\nruntime:\n  type: wasm\nendpoints:\n  - path: /a\n  - path: /b\n    function: greet\n',
    'plugin.wasm': await wat('(module (func (export "handle_request") (result i32) i32.const 0) (func (export "greet") (result i32) i32.const 0))'),
  });
  const ok = validate(good);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.match(ok.out, /^✓ wasm-ok@1\.0\.0 \(handler, wasm\): valid — 2 endpoints\n$/);

  const missing = plugin({
    'plugin.yaml': 'id: wasm-missing\nversion: 1.0.0\nruntime:\n  type: wasm\nendpoints:\n  - path: /b\n    function: greet\n',
    'plugin.wasm': await wat('(module (func (export "handle_request") (result i32) i32.const 0))'),
  });
  const r = validate(missing);
  assert.equal(r.code, 1);
  assert.match(r.out, /PLW_ERR_WASM_EXPORT_MISSING Plugin wasm-missing: module does not export greet/);

  const garbage = validate(plugin({ 'plugin.yaml': 'id: wasm-bad\nversion: 1.0.0\nruntime:\n  type: wasm\n', 'plugin.wasm': 'not wasm' }));
  assert.equal(garbage.code, 1);
  assert.match(garbage.out, /PLW_ERR_WASM_INVALID_MODULE/);
});

test('a folder without plugin.yaml, and a missing argument', () => {
  const r = validate(mkdtempSync(join(tmpdir(), 'plw-none-')));
  assert.equal(r.code, 1);
  assert.match(r.out, /PLW_ERR_MANIFEST_NOT_FOUND/);
  const usage = spawnSync(process.execPath, [join(root, 'bin/plugway.js'), 'plugin', 'validate'], { encoding: 'utf8' });
  assert.notEqual(usage.status, 0);
  assert.match(usage.stderr, /missing required argument 'dir'/);
});

test('entries outside a "type": "module" package: an ESM index.js and a TypeScript index.ts, in-process and worker', () => {
  for (const [entry, body] of [
    ['index.js', 'export default { handleRequest() { return { statusCode: 200, body: { ok: true } }; } };\n'],
    ['index.ts', 'const n: number = 1;\nexport default { handleRequest() { return { statusCode: 200, body: { n } }; } };\n'],
  ] as const) {
    for (const type of ['inprocess', 'worker']) {
      const dir = plugin({ 'plugin.yaml': `id: loose\nversion: 1.0.0\nkind: handler\nruntime:\n  type: ${type}\n  entry: ${entry}\n`, [entry]: body });
      const r = validate(dir);
      assert.equal(r.code, 0, `${entry} (${type}): ${r.out}${r.err}`);
      assert.equal(r.out, `✓ loose@1.0.0 (handler, ${type}): valid — 0 endpoints\n`);
    }
  }
});

test('a folder holding only <name>.yaml (the KubeStack layout): that manifest, with the entry beside it, as discovery reads it', () => {
  const kube = validate(join(fixtures, 'kubestack'));
  assert.equal(kube.code, 0, kube.out + kube.err);
  assert.match(kube.out, /^✓ my-plugin@1\.0\.0 \(middleware, inprocess\): valid — 0 endpoints\n$/);

  const handler = 'export default { handleRequest() { return { statusCode: 200 }; } };\n';
  const dir = plugin({ 'greeter.yaml': 'id: greeter\nversion: 0.2.0\nkind: handler\n', 'greeter.js': handler });
  const r = validate(dir, '--json');
  assert.equal(r.code, 0, r.out + r.err);
  const report = JSON.parse(r.out) as { id: string; file: string; entry: string };
  assert.equal(report.file, join(dir, 'greeter.yaml'));
  assert.equal(report.entry, join(dir, 'greeter.js'), 'the file beside the manifest is the entry');

  // other YAML beside it (a config, say) is not a plugin: only one manifest has an entry beside it
  const mixed = plugin({ 'greeter.yaml': 'id: greeter\nversion: 0.2.0\nkind: handler\n', 'greeter.js': handler, 'settings.yaml': 'a: 1\n' });
  const m = validate(mixed);
  assert.equal(m.code, 0, m.out + m.err);
  assert.equal(m.out, '✓ greeter@0.2.0 (handler, inprocess): valid — 0 endpoints\n');

  // the manifest's errors are the file's, at its lines
  const broken = plugin({ 'greeter.yaml': 'id: greeter\nversion: 1.0\nkind: handler\n', 'greeter.js': handler });
  const b = validate(broken);
  assert.equal(b.code, 1);
  assert.match(b.out, new RegExp(`${join(broken, 'greeter.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:10 PLW_ERR_MANIFEST_BAD_SEMVER version: "1\\.0"`));
});

test('a folder with several <name>.yaml and no plugin.yaml: an error naming them, not a guess', () => {
  const handler = 'export default { handleRequest() { return { statusCode: 200 }; } };\n';
  const two = plugin({ 'a.yaml': 'id: a\nversion: 1.0.0\n', 'a.js': handler, 'b.yml': 'id: b\nversion: 1.0.0\n', 'b.mjs': handler });
  const r = validate(two);
  assert.equal(r.code, 1);
  assert.match(
    r.out,
    /PLW_ERR_MANIFEST_NOT_FOUND No plugin\.yaml in .*, and 2 manifests could be the plugin \(a\.yaml, b\.yml\), each with an entry beside it: the folder holds several plugins; validate one file, e\.g\. plugway plugin validate .*a\.yaml/,
  );

  const loose = plugin({ 'one.yaml': 'id: one\nversion: 1.0.0\n', 'two.yaml': 'id: two\nversion: 1.0.0\n' });
  const l = validate(loose);
  assert.equal(l.code, 1);
  assert.match(l.out, /PLW_ERR_MANIFEST_NOT_FOUND No plugin\.yaml in .*, and 2 manifests could be the plugin \(one\.yaml, two\.yaml\); validate one file/);
});

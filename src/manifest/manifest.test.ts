// plugin.yaml from real files: the seed manifests validate unchanged; each kind of mistake has its
// own code at the right line:col; all errors come at once; misspellings get a suggestion.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isPlugwayError } from '../errors.js';
import { compileConfigSchema, schemaKey } from './plugin-config.js';
import { loadManifestFile, loadManifestFromDir, manifestError, normalizeManifest, parseDependencyString, parseManifest, parseRateLimit, resolveEntry, validatePluginConfig } from './index.js';

const fixtures = resolve(import.meta.dirname, '../../test/fixtures/manifests');

function tmpPlugin(yaml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'plw-manifest-'));
  writeFileSync(join(dir, 'plugin.yaml'), yaml);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

test('the Veza seed manifest validates unchanged, name used as id', async () => {
  const r = await loadManifestFromDir(join(fixtures, 'veza'));
  assert.deepEqual(r.errors, []);
  const m = r.manifest!;
  assert.equal(m.id, 'ai-recommendations');
  assert.equal(m.version, '1.0.0');
  assert.equal(m.kind, 'handler');
  assert.equal(m.runtime.type, 'wasm');
  assert.deepEqual(m.resources, { cpu: 0.5, memory: 512, disk: 100 });
  assert.equal(m.endpoints.length, 2);
  assert.deepEqual(m.endpoints[0]!.rateLimit, { points: 100, durationSec: 60, raw: '100/min' });
  assert.equal(m.endpoints[1]!.path, '/recommendations/users/{user_id}/activity');
  assert.equal(m.endpoints[1]!.auth, 'required');
  assert.deepEqual(m.dependencies, [
    { id: 'user-profile', range: '>=1.0.0', optional: false },
    { id: 'track-analytics', range: '>=1.0.0', optional: false },
  ]);
  assert.deepEqual(m.featureFlags, [{ name: 'enable_ml_model', default: false, description: 'Enable advanced ML model' }]);
  assert.deepEqual(m.healthCheck, { endpoint: '/health', intervalMs: 30_000, timeoutMs: 5_000 });
  // a wasm plugin not built yet: valid, with a warning, and no entry
  assert.equal(r.entryPath, undefined);
  assert.equal(r.warnings.length, 1);
  assert.equal(r.warnings[0]!.code, 'PLW_ERR_ENTRY_NOT_FOUND');
  assert.equal(r.warnings[0]!.severity, 'warning');
});

test('the KubeStack seed manifest validates unchanged: type is the kind, requires are dependencies', async () => {
  const r = await loadManifestFile(join(fixtures, 'kubestack', 'my-plugin.yaml'));
  assert.deepEqual(r.errors, []);
  const m = r.manifest!;
  assert.equal(m.id, 'my-plugin');
  assert.equal(m.name, 'My Custom Plugin');
  assert.equal(m.kind, 'middleware');
  assert.equal(m.runtime.type, 'inprocess');
  assert.deepEqual(m.middleware, { priority: 0, routes: [] });
  assert.deepEqual(m.dependencies, [{ id: 'redis-diagnostics', range: '>= 1.0.0', optional: false }]);
  assert.deepEqual(m.capabilities, ['health-check', 'diagnose']);
  assert.deepEqual(validatePluginConfig(m, {}), { timeout: '30s' });
});

/** One broken field per case: its code, and where it points. */
const cases: Array<{ name: string; yaml: string; code: string; line: number; col: number; path: string; includes?: string }> = [
  { name: 'duplicate key', yaml: 'id: a\nversion: 1.0.0\nid: b\n', code: 'PLW_ERR_MANIFEST_DUPLICATE_KEY', line: 3, col: 1, path: 'id' },
  { name: 'bad semver', yaml: 'id: a\nversion: 1.0\n', code: 'PLW_ERR_MANIFEST_BAD_SEMVER', line: 2, col: 10, path: 'version' },
  { name: 'bad range', yaml: 'id: a\nversion: 1.0.0\nengine: "=>1"\n', code: 'PLW_ERR_MANIFEST_BAD_RANGE', line: 3, col: 9, path: 'engine' },
  { name: 'bad dependency range', yaml: 'id: a\nversion: 1.0.0\nrequires:\n  - "b >= x.y.q"\n', code: 'PLW_ERR_MANIFEST_BAD_RANGE', line: 4, col: 5, path: 'requires[0]' },
  {
    name: 'bad rate limit',
    yaml: 'id: a\nversion: 1.0.0\nendpoints:\n  - path: /x\n    rate_limit: 100/fortnight\n',
    code: 'PLW_ERR_MANIFEST_BAD_RATE_LIMIT',
    line: 5,
    col: 17,
    path: 'endpoints[0].rate_limit',
  },
  { name: 'unknown kind', yaml: 'id: a\nversion: 1.0.0\nkind: handlr\n', code: 'PLW_ERR_MANIFEST_UNKNOWN_KIND', line: 3, col: 7, path: 'kind', includes: 'did you mean "handler"' },
  { name: 'unknown kind via type', yaml: 'id: a\nversion: 1.0.0\ntype: midleware\n', code: 'PLW_ERR_MANIFEST_UNKNOWN_KIND', line: 3, col: 7, path: 'type', includes: 'did you mean "middleware"' },
  {
    name: 'unknown runtime',
    yaml: 'id: a\nversion: 1.0.0\nruntime:\n  type: docker\n',
    code: 'PLW_ERR_MANIFEST_UNKNOWN_RUNTIME',
    line: 4,
    col: 9,
    path: 'runtime.type',
    includes: 'inprocess, worker, wasm',
  },
  { name: 'missing declared entry', yaml: 'id: a\nversion: 1.0.0\nruntime:\n  entry: dist/nope.js\n', code: 'PLW_ERR_ENTRY_NOT_FOUND', line: 4, col: 10, path: 'runtime.entry' },
  { name: 'unknown field', yaml: 'id: a\nversion: 1.0.0\ndescripton: hi\n', code: 'PLW_ERR_MANIFEST_UNKNOWN_FIELD', line: 3, col: 1, path: 'descripton', includes: 'did you mean "description"' },
  { name: 'missing version', yaml: 'id: a\nkind: handler\n', code: 'PLW_ERR_MANIFEST_MISSING_FIELD', line: 1, col: 1, path: 'version' },
  { name: 'missing id and name', yaml: 'version: 1.0.0\n', code: 'PLW_ERR_MANIFEST_MISSING_FIELD', line: 1, col: 1, path: 'id' },
  { name: 'bad id', yaml: 'id: My_Plugin\nversion: 1.0.0\n', code: 'PLW_ERR_MANIFEST_BAD_ID', line: 1, col: 5, path: 'id' },
  { name: 'bad duration', yaml: 'id: a\nversion: 1.0.0\nhealth_check:\n  interval: 30 parsecs\n', code: 'PLW_ERR_MANIFEST_BAD_DURATION', line: 4, col: 13, path: 'health_check.interval' },
  {
    name: 'bad config_schema',
    yaml: 'id: a\nversion: 1.0.0\nconfig_schema:\n  type: object\n  properties:\n    n: { type: integr }\n',
    code: 'PLW_ERR_MANIFEST_BAD_CONFIG_SCHEMA',
    line: 6,
    col: 16,
    path: 'config_schema.properties.n.type',
  },
  { name: 'YAML syntax', yaml: 'id: a\nversion: [1.0.0\n', code: 'PLW_ERR_MANIFEST_YAML', line: 3, col: 1, path: '(root)' },
  {
    name: 'nested unknown field',
    yaml: 'id: a\nversion: 1.0.0\nendpoints:\n  - path: /x\n    metod: GET\n',
    code: 'PLW_ERR_MANIFEST_UNKNOWN_FIELD',
    line: 5,
    col: 5,
    path: 'endpoints[0].metod',
    includes: 'did you mean "method"',
  },
  { name: 'wrong type', yaml: 'id: a\nversion: 1.0.0\ncapabilities: diagnose\n', code: 'PLW_ERR_MANIFEST_INVALID', line: 3, col: 15, path: 'capabilities', includes: 'expected array' },
];

for (const c of cases) {
  test(`broken manifest: ${c.name} → ${c.code} at ${c.line}:${c.col}`, async () => {
    const dir = tmpPlugin(c.yaml);
    const r = await loadManifestFromDir(dir);
    assert.equal(r.manifest, undefined);
    const e = r.errors.find((x) => x.code === c.code);
    assert.ok(e, `expected ${c.code}, got ${JSON.stringify(r.errors, null, 1)}`);
    assert.equal(e.file, join(dir, 'plugin.yaml'));
    assert.deepEqual([e.line, e.col, e.path], [c.line, c.col, c.path], e.message);
    if (c.includes) assert.ok(e.message.includes(c.includes), e.message);
  });
}

test('every error is reported at once, in file order', async () => {
  const r = await loadManifestFile(join(fixtures, 'broken', 'many-errors.yaml'));
  assert.deepEqual(
    r.errors.map((e) => `${e.line}:${e.code}`),
    [
      '1:PLW_ERR_MANIFEST_MISSING_FIELD',
      '2:PLW_ERR_MANIFEST_UNKNOWN_FIELD',
      '3:PLW_ERR_MANIFEST_UNKNOWN_KIND',
      '5:PLW_ERR_MANIFEST_UNKNOWN_RUNTIME',
      '8:PLW_ERR_MANIFEST_BAD_RATE_LIMIT',
      '11:PLW_ERR_MANIFEST_BAD_RANGE',
      '13:PLW_ERR_MANIFEST_BAD_DURATION',
    ],
  );
  const err = manifestError(r);
  assert.equal(err.code, 'PLW_ERR_MANIFEST_MISSING_FIELD');
  assert.match(err.message, /7 errors/);
  for (const e of r.errors) assert.ok(err.message.includes(e.code));
});

test('a missing plugin.yaml is PLW_ERR_MANIFEST_NOT_FOUND; plugin.yml is found too', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'plw-empty-'));
  const r = await loadManifestFromDir(empty);
  assert.equal(r.errors[0]!.code, 'PLW_ERR_MANIFEST_NOT_FOUND');
  writeFileSync(join(empty, 'plugin.yml'), 'id: yml\nversion: 2.0.0\n');
  assert.equal((await loadManifestFromDir(empty)).manifest?.id, 'yml');
});

test('entries: declared, default search per runtime, wasm without entry is only a warning', async () => {
  const dir = tmpPlugin('id: a\nversion: 1.0.0\n', { 'src/index.ts': 'export default {}', 'index.js': 'export default {}' });
  const r = await loadManifestFromDir(dir);
  assert.equal(r.entryPath, join(dir, 'index.js'));
  assert.equal(resolveEntry({ runtime: { type: 'inprocess', instances: 1, entry: 'src/index.ts' } }, dir), join(dir, 'src/index.ts'));
  assert.equal(resolveEntry({ runtime: { type: 'wasm', instances: 1 } }, dir), undefined);
  const w = await loadManifestFromDir(join(fixtures, 'wasm-no-entry'));
  assert.deepEqual(w.errors, []);
  assert.equal(w.warnings[0]?.code, 'PLW_ERR_ENTRY_NOT_FOUND');
});

test('parseManifest works on text; normalizeManifest fills defaults', () => {
  const r = parseManifest('id: t\nversion: 1.2.3\nendpoints:\n  - path: /x\n    method: post\n    permissions: [tracks:read]\n');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.manifest!.endpoints[0], { path: '/x', method: 'POST', auth: 'none', roles: [], permissions: ['tracks:read'] });
  const m = normalizeManifest({ id: 'prog' });
  assert.equal(m.kind, 'handler');
  assert.equal(m.version, '0.0.0');
  assert.equal(m.engine, '*');
  assert.deepEqual(m.runtime, { type: 'inprocess', instances: 1 });
  assert.deepEqual([m.endpoints, m.dependencies, m.actions, m.featureFlags], [[], [], [], []]);
});

test('rate limits and dependency strings', () => {
  assert.deepEqual(parseRateLimit('10/s'), { points: 10, durationSec: 1, raw: '10/s' });
  assert.equal(parseRateLimit('5/hour').durationSec, 3600);
  assert.equal(parseRateLimit('7/m').durationSec, 60);
  assert.throws(
    () => parseRateLimit('lots'),
    (e) => isPlugwayError(e, 'PLW_ERR_MANIFEST_BAD_RATE_LIMIT'),
  );
  assert.deepEqual(parseDependencyString('redis-diagnostics >= 1.0.0'), { id: 'redis-diagnostics', range: '>= 1.0.0', optional: false });
  assert.deepEqual(parseDependencyString('auth'), { id: 'auth', range: '*', optional: false });
  assert.throws(
    () => parseDependencyString('auth >>> 1'),
    (e) => isPlugwayError(e, 'PLW_ERR_MANIFEST_BAD_RANGE'),
  );
});

test('plugin config: defaults applied, errors name the plugin and every field', () => {
  const m = parseManifest(
    'id: cfg\nversion: 1.0.0\nconfig_schema:\n  type: object\n  required: [url]\n  properties:\n    url: { type: string, format: uri }\n    retries: { type: integer, minimum: 0, default: 3 }\n',
  ).manifest!;
  const input = { url: 'https://example.com' };
  assert.deepEqual(validatePluginConfig(m, input), { url: 'https://example.com', retries: 3 });
  assert.deepEqual(input, { url: 'https://example.com' }, 'input not modified');
  assert.throws(
    () => validatePluginConfig(m, { retries: -1 }),
    (e) => isPlugwayError(e, 'PLW_ERR_PLUGIN_CONFIG_INVALID') && /Plugin cfg/.test(e.message) && /\.url/.test(e.message) && /\.retries/.test(e.message),
  );
  const plain = normalizeManifest({ id: 'plain' });
  const cfg = { anything: 1 };
  assert.equal(validatePluginConfig(plain, cfg), cfg);
});

test('docs/manifest.md: its complete example validates', async () => {
  const doc = await import('node:fs/promises').then((fs) => fs.readFile(resolve(import.meta.dirname, '../../docs/manifest.md'), 'utf8'));
  const block = /## A complete example\n\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'example block found');
  const r = parseManifest(block);
  assert.deepEqual(r.errors, []);
  assert.equal(r.manifest!.id, 'track-search');
  assert.equal(r.manifest!.dependencies.length, 3);
  assert.equal(r.manifest!.resources.timeoutMs, 5000);
});

test('config schemas: one compile per schema content, shared by manifest validation and config checks', () => {
  const yaml = (id: string) => `id: ${id}\nversion: 1.0.0\nconfig_schema:\n  $id: shared-config\n  type: object\n  properties:\n    n: { type: integer, default: 2 }\n`;
  const a = parseManifest(yaml('a')).manifest!;
  const b = parseManifest(yaml('b')).manifest!;
  assert.notEqual(a.configSchema, b.configSchema, 'two parsed objects');
  assert.equal(compileConfigSchema(a.configSchema!), compileConfigSchema(b.configSchema!), 'one validator');
  assert.deepEqual(validatePluginConfig(b, {}), { n: 2 });
  // a different schema reusing the $id still compiles (on its own), it does not share the first one's validator
  const c = parseManifest(yaml('c').replace('integer, default: 2', 'string, default: two')).manifest!;
  assert.deepEqual(validatePluginConfig(c, {}), { n: 'two' });
  // values JSON cannot tell apart are never shared
  assert.equal(schemaKey({ maximum: Infinity }), undefined);
  assert.notEqual(schemaKey({ type: 'object', properties: { x: { maximum: 1 } } }), schemaKey({ type: 'object', properties: { x: { maximum: 2 } } }));
  // a bad schema is still reported after a good one with other content was cached
  const bad = parseManifest('id: d\nversion: 1.0.0\nconfig_schema:\n  type: object\n  properties:\n    n: { type: integr }\n');
  assert.equal(bad.errors[0]?.code, 'PLW_ERR_MANIFEST_BAD_CONFIG_SCHEMA');
});

test('a value YAML reads as a number is shown as written: version: 1.0 is "1.0", not "1"', async () => {
  const dir = tmpPlugin('id: numbers\nversion: 1.0\nkind: handler\nengine: 2.0\nresources:\n  timeout: 0x10s\n  memory: 1.50\nrequires: [1.0]\n', { 'index.js': 'export default {}' });
  const r = await loadManifestFromDir(dir);
  const byPath = new Map(r.errors.map((e) => [e.path, e]));
  const version = byPath.get('version');
  assert.equal(version?.code, 'PLW_ERR_MANIFEST_BAD_SEMVER');
  assert.match(version!.message, /^version: "1\.0" is not a semantic version/);
  assert.equal(version!.line, 2);
  // "2.0" quoted would be a fine range: the message says why it is not one here
  const engine = byPath.get('engine');
  assert.equal(engine?.code, 'PLW_ERR_MANIFEST_BAD_RANGE');
  assert.match(engine!.message, /"2\.0" .*YAML reads 2\.0 as a number: quote it \("2\.0"\)/);
  assert.ok(!version!.message.includes('quote it'), '"1.0" quoted is no semver either: no such hint');
  assert.ok(
    r.errors.every((e) => !/"1"|"2"|\b2 is\b/.test(e.message)),
    r.errors.map((e) => e.message).join('\n'),
  );
});

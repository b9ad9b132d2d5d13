// plugway.yaml from real files: the GoLeapAI seed block unchanged, interpolation, PLUGWAY_* env,
// flag overrides, and schema errors with file:line:col, key path and a suggestion.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isPlugwayError, type PlugwayError } from '../errors.js';
import { defaultHostConfig, loadHostConfig } from './config.js';

const seed = resolve(import.meta.dirname, '../../test/fixtures/config/goleapai.yaml');

function tmpConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plw-config-'));
  const file = join(dir, 'plugway.yaml');
  writeFileSync(file, yaml);
  return file;
}

async function rejects(p: Promise<unknown>, code: string): Promise<PlugwayError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isPlugwayError(err), String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test('defaults', () => {
  const c = defaultHostConfig();
  assert.equal(c.gateway.port, 8080);
  assert.equal(c.gateway.host, '127.0.0.1');
  assert.equal(c.gateway.bodyLimit, 1024 * 1024);
  assert.equal(c.plugins.defaultTimeoutMs, 30_000);
  assert.equal(c.plugins.shutdownTimeoutMs, 10_000);
  assert.equal(c.plugins.maxPlugins, 1000);
  assert.deepEqual(c.plugins.directories, []);
  assert.deepEqual(c.gateway.circuitBreaker, { failureThreshold: 5, openTimeoutMs: 30_000, halfOpenLimit: 1 });
  assert.deepEqual(c.gateway.bulkhead, { maxConcurrent: 64, queue: 0 });
  assert.deepEqual(c.gateway.rateLimit, { store: 'memory', keyPrefix: 'plw' });
  assert.equal(c.state.dir, resolve('.plugway'));
  assert.equal(c.state.keepVersions, 5);
  assert.deepEqual(c.reload, { watchWindowMs: 30_000, errorRateThreshold: 0.5, minCalls: 10, drainTimeoutMs: 10_000 });
  assert.equal(c.gateway.maxResponseBytes, 10 * 1024 * 1024);
  assert.equal(c.logging.level, 'info');
});

test('the GoLeapAI seed block loads unchanged: directory alias, durations, per-plugin blocks, ${VAR}', async () => {
  const c = await loadHostConfig({ file: seed, env: { EXAMPLE_API_KEY: 'sk-test' } });
  assert.equal(c.file, seed);
  assert.deepEqual(c.plugins.directories, [resolve(seed, '..', 'plugins')]);
  assert.equal(c.plugins.autoLoad, true);
  assert.equal(c.plugins.hotReload, false);
  assert.equal(c.plugins.reloadIntervalMs, 30_000);
  assert.equal(c.plugins.maxPlugins, 100);
  const p = c.plugins.configs['example-provider']!;
  assert.equal(p.enabled, true);
  assert.equal(p.priority, 10);
  assert.equal(p.config.api_key, 'sk-test');
  assert.equal(p.config.max_retries, 3);
  assert.deepEqual(c.plugins.configs['rate-limiter']!.config.routes, ['/v1/*', '/api/*']);
});

test('a ${VAR} that is not set is PLW_ERR_CONFIG_ENV_MISSING with file:line:col and path', async () => {
  const err = await rejects(loadHostConfig({ file: seed, env: {} }), 'PLW_ERR_CONFIG_ENV_MISSING');
  assert.ok(err.message.includes(`${seed}:15:18`), err.message);
  assert.ok(err.message.includes('plugins.configs.example-provider.config.api_key'), err.message);
  assert.ok(err.message.includes('EXAMPLE_API_KEY'), err.message);
});

test('${VAR:-default} and $${ escapes; interpolated numbers are coerced', async () => {
  const file = tmpConfig('gateway:\n  port: ${PORT:-9123}\n  host: "${HOST:-0.0.0.0}"\nstate:\n  dir: "$${literal}"\n');
  const c = await loadHostConfig({ file, env: { HOST: '127.0.0.2' } });
  assert.equal(c.gateway.port, 9123);
  assert.equal(c.gateway.host, '127.0.0.2');
  assert.equal(c.state.dir, resolve(file, '..', '${literal}'));
});

test('merge order: defaults < file < PLUGWAY_* env < overrides', async () => {
  const file = tmpConfig('gateway:\n  port: 7000\n  host: 0.0.0.0\n  admin:\n    token: from-file\nlogging:\n  level: warn\nplugins:\n  directories: [./a]\n');
  const env = {
    PLUGWAY_PORT: '7001',
    PLUGWAY_ADMIN_TOKEN: 'from-env',
    PLUGWAY_PLUGINS_DIRS: '/p/one,/p/two',
    PLUGWAY_STATE_DIR: '/var/plw',
    PLUGWAY_RATE_LIMIT_REDIS_URL: 'redis://127.0.0.1:6379',
  };
  const c = await loadHostConfig({ file, env, overrides: { gateway: { port: 7002 } } });
  assert.equal(c.gateway.port, 7002);
  assert.equal(c.gateway.host, '0.0.0.0');
  assert.equal(c.gateway.admin.token, 'from-env');
  assert.equal(c.logging.level, 'warn');
  assert.deepEqual(c.plugins.directories, ['/p/one', '/p/two']);
  assert.equal(c.state.dir, '/var/plw');
  assert.deepEqual(c.gateway.rateLimit, { store: 'redis', redisUrl: 'redis://127.0.0.1:6379', keyPrefix: 'plw' });
  const fileOnly = await loadHostConfig({ file, env: {} });
  assert.deepEqual(fileOnly.plugins.directories, [resolve(file, '..', 'a')]);
});

test('schema errors: a misspelt key gets a suggestion and its line:col', async () => {
  const file = tmpConfig('plugins:\n  max_plugin: 10\ngateway:\n  port: 80\n');
  const err = await rejects(loadHostConfig({ file, env: {} }), 'PLW_ERR_CONFIG_INVALID');
  assert.ok(err.message.includes(`${file}:2:3`), err.message);
  assert.ok(err.message.includes('plugins.max_plugin'), err.message);
  assert.ok(err.message.includes('did you mean "max_plugins"'), err.message);
});

test('schema errors: all problems at once, env values named by their variable', async () => {
  const file = tmpConfig('gateway:\n  circuit_breaker:\n    open_timeout: soon\nstate:\n  store: s3\n');
  const err = await rejects(loadHostConfig({ file, env: { PLUGWAY_PORT: 'eighty' } }), 'PLW_ERR_CONFIG_INVALID');
  assert.match(err.message, /3 problems/);
  assert.ok(err.message.includes(`${file}:3:19`) && err.message.includes('is not a duration'), err.message);
  assert.ok(err.message.includes(`${file}:5:10`) && err.message.includes('file, etcd'), err.message);
  assert.ok(err.message.includes('environment PLUGWAY_PORT: gateway.port'), err.message);
});

test('a missing config file is an error; PLUGWAY_CONFIG names the file', async () => {
  await rejects(loadHostConfig({ file: '/nonexistent/plugway.yaml', env: {} }), 'PLW_ERR_CONFIG_INVALID');
  const file = tmpConfig('gateway:\n  port: 8181\n');
  assert.equal((await loadHostConfig({ env: { PLUGWAY_CONFIG: file } })).gateway.port, 8181);
});

test('docs/configuration.md: its example loads', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(resolve(import.meta.dirname, '../../docs/configuration.md'), 'utf8');
  const block = /## An example[^\n]*\n\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'example block found');
  const c = await loadHostConfig({ file: tmpConfig(block), env: { EXAMPLE_API_KEY: 'k' } });
  assert.equal(c.gateway.port, 8080);
  assert.equal(c.gateway.admin.token, undefined);
  assert.equal(c.plugins.configs['example-provider']!.config.api_key, 'k');
});

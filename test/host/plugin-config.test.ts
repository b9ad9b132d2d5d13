// A plugin's config from a real plugway.yaml through the real loader: `${VAR:-default}` values take
// the type their config_schema names; the config API is exported from the package root.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import * as root from '../../src/index.js';
import { createHost, defaultHostConfig, loadHostConfig, type HostConfig } from '../../src/index.js';
import { silent, tempDir, writePlugin } from './helpers.js';

const SCHEMA = `config_schema:
  type: object
  properties:
    port: { type: integer, minimum: 1 }
    verbose: { type: boolean }
    ratio: { type: number }
    api_key: { type: string }
  required: [port]
`;

// the plugin answers with its ctx.config, so the test sees exactly what the plugin got
const ECHO_CONFIG = `export default { handleRequest(req, ctx) { return { statusCode: 200, body: ctx.config }; } };\n`;

async function configOf(yaml: string, env: NodeJS.ProcessEnv): Promise<{ state: string; error?: string; config?: Record<string, unknown> }> {
  const dir = await tempDir('plw-plugin-config-');
  await writePlugin(join(dir, 'plugins'), 'typed', ECHO_CONFIG, SCHEMA);
  const file = join(dir, 'plugway.yaml');
  await writeFile(file, `plugins:\n  directories: [plugins]\n  configs:\n    typed:\n      config:\n${yaml}`);
  const config = await loadHostConfig({ file, env });
  const host = createHost({ config, logger: silent });
  await host.start();
  try {
    const rec = host.get('typed')!;
    if (rec.state !== 'running') return { state: rec.state, error: rec.error?.message };
    const res = await host.call<{ body: Record<string, unknown> }>('typed', 'handleRequest', [{ id: '1', method: 'GET', path: '/', params: {}, query: {}, headers: {}, context: {} }]);
    return { state: rec.state, config: res.body };
  } finally {
    await host.stop();
  }
}

const INTERPOLATED = `        port: \${PORT:-8080}
        verbose: \${VERBOSE:-false}
        ratio: \${RATIO:-0.5}
        api_key: \${API_KEY:-0123}
`;

test('${VAR:-default} in a plugin config: the default takes the type its config_schema names', async () => {
  const r = await configOf(INTERPOLATED, {});
  assert.equal(r.state, 'running', r.error);
  assert.deepEqual(r.config, { port: 8080, verbose: false, ratio: 0.5, api_key: '0123' }, 'numbers and booleans converted; a string stays the text written');
});

test('${VAR} from the environment: converted the same way', async () => {
  const r = await configOf(INTERPOLATED, { PORT: '9090', VERBOSE: 'true', RATIO: '2.25', API_KEY: '007' });
  assert.equal(r.state, 'running', r.error);
  assert.deepEqual(r.config, { port: 9090, verbose: true, ratio: 2.25, api_key: '007' });
});

test('a value that does not fit its type still fails, naming the plugin and the field', async () => {
  const r = await configOf(INTERPOLATED, { PORT: 'eighty' });
  assert.equal(r.state, 'failed');
  assert.match(r.error ?? '', /Plugin typed: config\.port must be integer/);
  const frac = await configOf(INTERPOLATED, { PORT: '80.5' });
  assert.equal(frac.state, 'failed', '80.5 is no integer');
  assert.match(frac.error ?? '', /config\.port must be integer/);
});

test('loadHostConfig and defaultHostConfig are exported from the package root', async () => {
  assert.equal(typeof root.loadHostConfig, 'function');
  assert.equal(typeof root.defaultHostConfig, 'function');
  assert.equal(typeof root.ENV_MAPPING.PLUGWAY_PORT, 'object');
  const d: HostConfig = defaultHostConfig();
  assert.equal(d.gateway.port, 8080);
  const c = await loadHostConfig({ env: { PLUGWAY_PORT: '9001' } });
  assert.equal(c.gateway.port, 9001);
});

// "Enabled when configured": `plugway serve` with a plugway.yaml that configures llm-gateway and
// names no plugins folder serves the built-in llm plugins (and only those).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PLUGWAY_BIN } from '../helpers/cli.js';
import { ADMIN, chatBody, getJson, postJson, startMockProvider } from './helpers.js';

test('plugway serve: plugins.configs.llm-gateway alone brings the built-in llm plugins', async (t) => {
  const mock = await startMockProvider({ name: 'primary' });
  const dir = await mkdtemp(join(tmpdir(), 'plugway-llm-serve-'));
  const file = join(dir, 'plugway.yaml');
  await writeFile(
    file,
    stringify({
      plugins: {
        configs: {
          'llm-gateway': {
            config: {
              providers: [{ name: 'primary', type: 'openai-compatible', base_url: `${mock.url}/v1`, api_key: '${PRIMARY_KEY}', models: ['gpt-4o-mini'] }],
              router: { strategy: 'priority', fallback_on: [429, '5xx', 'timeout', 'connect'] },
            },
          },
        },
      },
      gateway: { admin: { token: ADMIN.authorization.slice(7) } },
    }),
  );
  const child = spawn(process.execPath, [PLUGWAY_BIN, 'serve', '--config', file, '--port', '0', '--state-dir', join(dir, 'state')], {
    env: { ...process.env, PRIMARY_KEY: 'sk-test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(async () => {
    child.kill('SIGTERM');
    await mock.close();
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  const r = await postJson(`${url}/v1/chat/completions`, chatBody());
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('x-plugway-provider'), 'primary');
  const ids = (await getJson(`${url}/admin/plugins`, ADMIN)).plugins.map((p: { id: string }) => p.id).sort();
  assert.deepEqual(ids, ['anthropic', 'llm-gateway', 'llm-router', 'openai-compatible'], 'only the llm plugins');
  assert.match(out, /llm plugins: built-in llm-gateway, openai-compatible, anthropic, llm-router/);
});

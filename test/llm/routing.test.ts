// Router plugins: llm-router's weighted split (within 10 %) and least-latency, the order in which
// routers are asked (a third-party router that claims a request picks first), several instances
// of one provider plugin, GET /v1/models, and the gateway unconfigured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, chatBody, getJson, postJson, startLlmGateway, startMockProvider } from './helpers.js';

async function mocks(t: import('node:test').TestContext, ...opts: Array<Record<string, unknown>>) {
  const ms = await Promise.all(opts.map((o) => startMockProvider(o)));
  t.after(() => Promise.all(ms.map((m) => m.close())));
  return ms;
}

test('weighted: three providers at 5:3:2 share 300 requests within 10 %', async (t) => {
  const [a, b, c] = await mocks(t, { name: 'a' }, { name: 'b' }, { name: 'c' });
  const gw = await startLlmGateway({
    providers: [
      { name: 'a', type: 'openai-compatible', base_url: `${a!.url}/v1`, models: ['m'], weight: 5 },
      { name: 'b', type: 'openai-compatible', base_url: `${b!.url}/v1`, models: ['m'], weight: 3 },
      { name: 'c', type: 'openai-compatible', base_url: `${c!.url}/v1`, models: ['m'], weight: 2 },
    ],
    router: { strategy: 'weighted' },
  });
  t.after(() => gw.close());
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 30; i++) {
    const rs = await Promise.all(Array.from({ length: 10 }, () => postJson(`${gw.url}/v1/chat/completions`, chatBody({ model: 'm' }))));
    for (const r of rs) counts[r.headers.get('x-plugway-provider')!]!++;
  }
  for (const [name, share] of [
    ['a', 0.5],
    ['b', 0.3],
    ['c', 0.2],
  ] as const) {
    assert.ok(Math.abs(counts[name]! / 300 - share) <= 0.1 * share, `${name}: ${counts[name]} of 300, expected ~${share * 300}`);
  }
  assert.deepEqual([a!.stats.chat, b!.stats.chat, c!.stats.chat], [counts.a, counts.b, counts.c]);
});

test('least-latency: after measuring both, the fast provider gets the traffic', async (t) => {
  const [slow, fast] = await mocks(t, { name: 'slow', latency: 80 }, { name: 'fast' });
  const gw = await startLlmGateway({
    providers: [
      { name: 'slow', type: 'openai-compatible', base_url: `${slow!.url}/v1`, models: ['m'] },
      { name: 'fast', type: 'openai-compatible', base_url: `${fast!.url}/v1`, models: ['m'] },
    ],
    router: { strategy: 'least-latency' },
  });
  t.after(() => gw.close());
  const picks: string[] = [];
  for (let i = 0; i < 10; i++) picks.push((await postJson(`${gw.url}/v1/chat/completions`, chatBody({ model: 'm' }))).headers.get('x-plugway-provider')!);
  assert.deepEqual(picks.slice(0, 2).sort(), ['fast', 'slow'], 'each is measured once first');
  assert.deepEqual(picks.slice(2), Array(8).fill('fast'));
});

test('routers are asked by priority: a third-party router that claims the request picks; llm-router otherwise', async (t) => {
  const [a, b] = await mocks(t, { name: 'a' }, { name: 'b' });
  const vip = {
    canRoute: (req: { body?: { user?: string } }) => req.body?.user === 'vip',
    selectProvider: () => 'b',
  };
  const gw = await startLlmGateway(
    {
      providers: [
        { name: 'a', type: 'openai-compatible', base_url: `${a!.url}/v1`, models: ['m'] },
        { name: 'b', type: 'openai-compatible', base_url: `${b!.url}/v1`, models: ['m'] },
      ],
      router: { strategy: 'priority' },
    },
    { builtins: [{ id: 'vip-router', plugin: vip, manifest: { kind: 'router' } }], configs: { 'vip-router': { priority: 10 } } },
  );
  t.after(() => gw.close());
  assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chatBody({ model: 'm', user: 'vip' }))).headers.get('x-plugway-provider'), 'b');
  assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chatBody({ model: 'm', user: 'someone' }))).headers.get('x-plugway-provider'), 'a');
});

test('two instances of one provider plugin, models listed as their union, an unknown model refused', async (t) => {
  const [a, b] = await mocks(t, { name: 'a' }, { name: 'b' });
  const gw = await startLlmGateway({
    providers: [
      { name: 'groq', type: 'openai-compatible', base_url: `${a!.url}/v1`, models: ['llama-3', 'mixtral'] },
      { name: 'local', type: 'openai-compatible', base_url: `${b!.url}/v1`, models: ['llama-3', 'qwen'] },
    ],
  });
  t.after(() => gw.close());
  const models = await getJson(`${gw.url}/v1/models`);
  assert.equal(models.object, 'list');
  assert.deepEqual(models.data.map((m: { id: string }) => m.id).sort(), ['llama-3', 'mixtral', 'qwen']);
  assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chatBody({ model: 'qwen' }))).headers.get('x-plugway-provider'), 'local');
  assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chatBody({ model: 'mixtral' }))).headers.get('x-plugway-provider'), 'groq');
  const none = await postJson(`${gw.url}/v1/chat/completions`, chatBody({ model: 'gpt-9' }));
  assert.equal(none.status, 404);
  assert.equal(none.json.error.code, 'PLW_ERR_LLM_MODEL_NOT_FOUND');
  const bad = await postJson(`${gw.url}/v1/chat/completions`, { model: 'qwen' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'PLW_ERR_LLM_BAD_REQUEST');
  const emb = await postJson(`${gw.url}/v1/embeddings`, { model: 'qwen', input: ['one two', 'three'] });
  assert.equal(emb.status, 200);
  assert.equal(emb.json.data.length, 2);
  assert.equal(emb.json.usage.prompt_tokens, 3);
});

test('unconfigured: the routes answer 503 PLW_ERR_LLM_NOT_CONFIGURED, /v1/models is empty, the plugin is healthy', async (t) => {
  const gw = await startLlmGateway({});
  t.after(() => gw.close());
  const r = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(r.status, 503);
  assert.equal(r.json.error.code, 'PLW_ERR_LLM_NOT_CONFIGURED');
  assert.deepEqual((await getJson(`${gw.url}/v1/models`)).data, []);
  const health = await getJson(`${gw.url}/admin/health?refresh=1`, ADMIN);
  for (const id of ['llm-gateway', 'openai-compatible', 'anthropic', 'llm-router']) {
    const p = health.plugins.find((x: { id: string }) => x.id === id);
    assert.equal(p.state, 'running', id);
    assert.equal(p.health, 'healthy', id);
  }
  assert.equal((await fetch(`${gw.url}/ready`)).status, 200);
});

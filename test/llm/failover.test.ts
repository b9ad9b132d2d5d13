// Failover on each fallback_on trigger (429 with Retry-After, 5xx, timeout, connect) with the
// switch hook and metric, the x-plugway-* headers, no fallback on a client error, the circuit
// breaker skipping a failing provider, and the hook stats at both admin paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ADMIN, chatBody, getJson, hookRecorder, metricsText, metricValue, postJson, startLlmGateway, startMockProvider, type Mock } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function pair(t: import('node:test').TestContext, llmExtra: Record<string, unknown> = {}, primaryUrl?: string, timeout?: number) {
  const primary = await startMockProvider({ name: 'primary' });
  const backup = await startMockProvider({ name: 'backup' });
  const rec = hookRecorder();
  const gw = await startLlmGateway(
    {
      providers: [
        { name: 'primary', type: 'openai-compatible', base_url: `${primaryUrl ?? primary.url}/v1`, api_key: 'sk-primary', models: ['gpt-4o-mini'], ...(timeout ? { timeout } : {}) },
        { name: 'backup', type: 'openai-compatible', base_url: `${backup.url}/v1`, models: ['gpt-4o-mini'], weight: 1 },
      ],
      router: { strategy: 'priority', fallback_on: [429, '5xx', 'timeout', 'connect'] },
      ...llmExtra,
    },
    { builtins: [rec.builtin] },
  );
  t.after(async () => {
    await gw.close();
    await primary.close();
    await backup.close();
  });
  return { primary, backup, gw, seen: rec.seen };
}

async function expectFallback(gwUrl: string, reason: string, seen: Record<string, any[]>, backup: Mock) {
  const before = backup.stats.chat;
  const r = await postJson(`${gwUrl}/v1/chat/completions`, chatBody());
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('x-plugway-provider'), 'backup');
  assert.equal(r.headers.get('x-plugway-fallbacks'), 'primary');
  assert.match(r.json.choices[0].message.content, /^Hello from backup/);
  assert.equal(backup.stats.chat, before + 1);
  const sw = seen.on_provider_switch.at(-1);
  assert.deepEqual({ from: sw.from, to: sw.to, reason: sw.reason, model: sw.model }, { from: 'primary', to: 'backup', reason, model: 'gpt-4o-mini' });
  assert.equal(sw.requestId, r.json.request_id ?? sw.requestId);
  const m = await metricsText(gwUrl);
  assert.equal(metricValue(m, 'plugway_llm_provider_switches_total', { from: 'primary', to: 'backup', reason }), 1, m);
}

test('the primary answers while it is healthy; x-plugway-provider names it, no x-plugway-fallbacks', async (t) => {
  const { gw, primary, seen } = await pair(t);
  const r = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-plugway-provider'), 'primary');
  assert.equal(r.headers.get('x-plugway-fallbacks'), null);
  assert.equal(primary.stats.chat, 1);
  assert.equal(seen.on_request.length, 1);
  assert.deepEqual({ provider: seen.on_request[0].provider, model: seen.on_request[0].model, stream: seen.on_request[0].stream }, { provider: 'primary', model: 'gpt-4o-mini', stream: false });
  assert.equal(typeof seen.on_request[0].requestId, 'string');
  const resp = seen.on_response[0];
  assert.equal(resp.provider, 'primary');
  assert.equal(resp.tokensUsed, r.json.usage.total_tokens);
  assert.ok(resp.durationMs >= 0);
  assert.equal(resp.cost, 0);
});

test('429 with Retry-After: fallback, then the primary rests until Retry-After has passed', async (t) => {
  const { gw, primary, backup, seen } = await pair(t);
  primary.set({ mode: '429', retry_after: 30 });
  await expectFallback(gw.url, '429', seen, backup);
  assert.equal(seen.on_error.at(-1).errorType, 'rate_limited');
  assert.equal(seen.on_error.at(-1).provider, 'primary');
  const calls = primary.stats.chat;
  const again = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(again.headers.get('x-plugway-provider'), 'backup');
  assert.equal(again.headers.get('x-plugway-fallbacks'), null, 'a provider on cooldown is skipped, not tried');
  assert.equal(primary.stats.chat, calls, 'the primary was not called during its cooldown');
  const m = await metricsText(gw.url);
  assert.equal(metricValue(m, 'plugway_llm_requests_total', { provider: 'primary', model: 'gpt-4o-mini', status: '429' }), 1);
  assert.equal(metricValue(m, 'plugway_llm_requests_total', { provider: 'backup', model: 'gpt-4o-mini', status: '200' }), 2);
});

test('500: fallback with reason 5xx', async (t) => {
  const { gw, primary, backup, seen } = await pair(t);
  primary.set({ mode: '500' });
  await expectFallback(gw.url, '5xx', seen, backup);
  assert.equal(seen.on_error.at(-1).errorType, 'server_error');
});

test('a hanging provider: fallback with reason timeout after its timeout', async (t) => {
  const { gw, primary, backup, seen } = await pair(t, {}, undefined, 300);
  primary.set({ mode: 'hang' });
  const t0 = Date.now();
  await expectFallback(gw.url, 'timeout', seen, backup);
  assert.ok(Date.now() - t0 >= 250, 'waited for the timeout');
  assert.equal(seen.on_error.at(-1).errorType, 'timeout');
});

test('nothing listening: fallback with reason connect', async (t) => {
  const dead = `http://127.0.0.1:${await closedPort()}`;
  const { gw, backup, seen } = await pair(t, {}, dead);
  await expectFallback(gw.url, 'connect', seen, backup);
  assert.equal(seen.on_error.at(-1).errorType, 'connect');
});

test('a trigger not in fallback_on, and a client error, are answered as they are', async (t) => {
  const { gw, primary, backup } = await pair(t, { router: { strategy: 'priority', fallback_on: ['5xx'] } });
  primary.set({ mode: '429', retry_after: 7 });
  const r = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(r.status, 429);
  assert.equal(r.json.error.type, 'rate_limit_error');
  assert.equal(backup.stats.chat, 0);
  primary.set({ mode: '400' });
  const bad = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(bad.status, 400);
  assert.equal(backup.stats.chat, 0, "a 400 is the client's, no other provider would do better");
});

test('every provider failing: the last failure, with every fallback named', async (t) => {
  const { gw, primary, backup } = await pair(t);
  primary.set({ mode: '500' });
  backup.set({ mode: '500' });
  const r = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(r.status, 502);
  assert.equal(r.json.error.code, 'PLW_ERR_LLM_PROVIDER_FAILED');
  assert.equal(r.headers.get('x-plugway-fallbacks'), 'primary, backup');
  assert.ok(r.json.request_id);
});

test('circuit breaker: after `failures` failures the provider is skipped, not retried, until it is half-open', async (t) => {
  const { gw, primary } = await pair(t, { router: { strategy: 'priority', circuit_breaker: { failures: 2, open: '400ms' } } });
  primary.set({ mode: '500' });
  for (let i = 0; i < 2; i++) assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chatBody())).headers.get('x-plugway-fallbacks'), 'primary');
  const calls = primary.stats.chat;
  for (let i = 0; i < 5; i++) {
    const r = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
    assert.equal(r.headers.get('x-plugway-provider'), 'backup');
    assert.equal(r.headers.get('x-plugway-fallbacks'), null, 'skipped, not tried');
  }
  assert.equal(primary.stats.chat, calls, 'no call reached the open provider');
  const health = await getJson(`${gw.url}/admin/health?refresh=1`, ADMIN);
  const llm = health.plugins.find((p: { id: string }) => p.id === 'llm-gateway');
  assert.equal(llm.health, 'degraded');
  assert.match(llm.message, /circuit open: primary/);
  primary.set({ mode: 'ok' });
  // Until the breaker's open time has passed the calls go to backup; then one half-open trial reaches primary, succeeds and closes it.
  const trial = await waitFor(
    async () => {
      const r = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
      return r.headers.get('x-plugway-provider') === 'primary' && r;
    },
    { what: 'the half-open trial to reach primary' },
  );
  assert.equal(trial.status, 200);
  assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chatBody())).headers.get('x-plugway-provider'), 'primary');
});

test('hook stats at GET /admin/hooks/stats and its alias /admin/plugins/hooks/stats', async (t) => {
  const { gw, primary } = await pair(t);
  primary.set({ mode: '500' });
  await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  for (const path of ['/admin/hooks/stats', '/admin/plugins/hooks/stats']) {
    const s = await getJson(`${gw.url}${path}`, ADMIN);
    assert.equal(s.hooks.on_request.fired, 2, path);
    assert.equal(s.hooks.on_request.count, 2, 'the recorder ran for each');
    assert.equal(s.hooks.on_error.fired, 1);
    assert.equal(s.hooks.on_provider_switch.fired, 1);
    assert.equal(s.hooks.on_response.fired, 1);
    for (const k of ['fired', 'count', 'errors', 'timeouts', 'meanMs', 'p99Ms']) assert.ok(k in s.hooks.on_response, k);
  }
});

test('retries are bounded by router.deadline: two hanging providers give a 504 when it passes, not after their timeouts', async (t) => {
  const { gw, primary, backup } = await pair(t, { router: { strategy: 'priority', deadline: '400ms' } });
  primary.set({ mode: 'hang' });
  backup.set({ mode: 'hang' });
  const t0 = Date.now();
  const r = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  const took = Date.now() - t0;
  assert.equal(r.status, 504);
  assert.equal(r.json.error.code, 'PLW_ERR_LLM_TIMEOUT');
  assert.ok(took < 5_000, `gave up after ${took} ms (the providers' own timeout is 60 s)`);
});

test('retries are bounded by router.retries: with 0, no second provider is tried', async (t) => {
  const { gw, primary, backup } = await pair(t, { router: { strategy: 'priority', retries: 0 } });
  primary.set({ mode: '500' });
  const r = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(r.status, 502);
  assert.equal(backup.stats.chat, 0);
});

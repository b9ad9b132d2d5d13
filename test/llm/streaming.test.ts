// Streams: chunks passed on as they come (not buffered whole), the same token counts streamed or
// not (the provider's usage, or the same estimate without one), fallback only before the first
// byte, a cut stream reported to the client, the hooks and the metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { once } from 'node:events';
import { chatBody, hookRecorder, metricsText, metricValue, postJson, sseData, startLlmGateway, startMockProvider } from './helpers.js';

async function setup(t: import('node:test').TestContext, mockOpts: Record<string, unknown> = {}) {
  const primary = await startMockProvider({ name: 'primary', ...mockOpts });
  const backup = await startMockProvider({ name: 'backup', ...mockOpts });
  const rec = hookRecorder();
  const gw = await startLlmGateway(
    {
      providers: [
        { name: 'primary', type: 'openai-compatible', base_url: `${primary.url}/v1`, models: ['gpt-4o-mini'], price: { input: 0.15, output: 0.6 } },
        { name: 'backup', type: 'openai-compatible', base_url: `${backup.url}/v1`, models: ['gpt-4o-mini'] },
      ],
      router: { strategy: 'priority', fallback_on: [429, '5xx', 'timeout', 'connect'] },
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

async function stream(url: string, body: Record<string, unknown>) {
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

const contentOf = (datas: string[]) =>
  datas
    .filter((d) => d.startsWith('{'))
    .map((d) => JSON.parse(d))
    .map((c) => c.choices?.[0]?.delta?.content ?? '')
    .join('');

test('streamed and non-streamed answers record the same tokens, and the same content', async (t) => {
  const { gw, seen } = await setup(t);
  const plain = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  const s = await stream(gw.url, chatBody({ stream_options: { include_usage: true } }));
  assert.equal(s.status, 200);
  assert.match(s.headers.get('content-type')!, /^text\/event-stream/);
  assert.equal(s.headers.get('x-plugway-provider'), 'primary');
  const datas = sseData(s.text);
  assert.equal(datas.at(-1), '[DONE]');
  assert.equal(contentOf(datas), plain.json.choices[0].message.content);
  const usageChunk = JSON.parse(datas.at(-2)!);
  assert.deepEqual(usageChunk.usage, plain.json.usage);
  const [a, b] = seen.on_response;
  assert.equal(a.stream, false);
  assert.equal(b.stream, true);
  assert.deepEqual([b.promptTokens, b.completionTokens, b.estimated], [a.promptTokens, a.completionTokens, false]);
  assert.ok(b.cost > 0 && Math.abs(b.cost - a.cost) < 1e-12, 'a stream is priced as the same answer');
  assert.ok(b.ttftMs >= 0);
  const m = await metricsText(gw.url);
  assert.equal(metricValue(m, 'plugway_llm_tokens_total', { provider: 'primary', model: 'gpt-4o-mini', type: 'completion' }), 2 * plain.json.usage.completion_tokens);
  assert.ok(metricValue(m, 'plugway_llm_cost_total', { provider: 'primary', model: 'gpt-4o-mini' }) > 0);
  assert.equal(metricValue(m, 'plugway_llm_time_to_first_token_seconds_count', { provider: 'primary', model: 'gpt-4o-mini' }), 2);
});

test('without include_usage the client gets no usage chunk, but the usage is still recorded', async (t) => {
  const { gw, seen } = await setup(t);
  const s = await stream(gw.url, chatBody());
  const chunks = sseData(s.text)
    .filter((d) => d.startsWith('{'))
    .map((d) => JSON.parse(d));
  assert.ok(chunks.every((c) => c.usage === undefined && c.choices.length > 0));
  assert.equal(seen.on_response[0].estimated, false);
  assert.ok(seen.on_response[0].completionTokens > 0);
});

test('a provider that reports no usage: the same estimate streamed or not, marked estimated', async (t) => {
  const { gw, seen } = await setup(t, { usage: false });
  const plain = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(plain.json.usage.estimated, true);
  const s = await stream(gw.url, chatBody({ stream_options: { include_usage: true } }));
  const usage = JSON.parse(sseData(s.text).at(-2)!).usage;
  assert.equal(usage.estimated, true);
  assert.deepEqual([usage.prompt_tokens, usage.completion_tokens], [plain.json.usage.prompt_tokens, plain.json.usage.completion_tokens]);
  assert.deepEqual(
    seen.on_response.map((r) => [r.promptTokens, r.completionTokens, r.estimated]),
    [
      [plain.json.usage.prompt_tokens, plain.json.usage.completion_tokens, true],
      [plain.json.usage.prompt_tokens, plain.json.usage.completion_tokens, true],
    ],
  );
});

test('chunks pass through one by one: the first reaches the client long before the last is produced', async (t) => {
  const { gw } = await setup(t, { chunk_delay: 150 });
  const req = request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  req.end(JSON.stringify(chatBody({ stream: true })));
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  const t0 = Date.now();
  const [first] = await once(res, 'data');
  const firstAt = Date.now() - t0;
  assert.match(String(first), /^data: \{/);
  let rest = '';
  res.on('data', (d) => (rest += d));
  await once(res, 'end');
  const total = Date.now() - t0;
  assert.ok(rest.includes('[DONE]'));
  // 14 chunks 150 ms apart: the whole answer takes seconds, the first event came at once.
  assert.ok(total > 1500, `total ${total} ms`);
  assert.ok(firstAt < total / 3, `first chunk after ${firstAt} ms of ${total}`);
});

test('a stream fails over before its first byte (500), never after: a cut stream is reported, not retried', async (t) => {
  const { gw, primary, backup, seen } = await setup(t);
  primary.set({ mode: '500' });
  const s = await stream(gw.url, chatBody());
  assert.equal(s.headers.get('x-plugway-provider'), 'backup');
  assert.equal(s.headers.get('x-plugway-fallbacks'), 'primary');
  assert.match(contentOf(sseData(s.text)), /^Hello from backup/);

  // Chunks 20 ms apart: the first ones are on the wire before the cut (a cut before any byte is a plain failure).
  primary.set({ mode: 'cut', chunk_delay: 20 });
  // The 500 put no cooldown on the primary; its breaker is still closed (1 failure of 5).
  const backupStreams = backup.stats.streams;
  const cut = await stream(gw.url, chatBody());
  assert.equal(cut.status, 200);
  assert.equal(cut.headers.get('x-plugway-provider'), 'primary');
  const datas = sseData(cut.text);
  assert.ok(!datas.includes('[DONE]'), 'no [DONE] after a cut');
  const last = JSON.parse(datas.at(-1)!);
  assert.equal(last.error.code, 'PLW_ERR_LLM_STREAM_CUT');
  assert.match(contentOf(datas.slice(0, -1)), /^Hello from primary/, 'what came before the cut was passed on');
  assert.equal(backup.stats.streams, backupStreams, 'no retry once the first byte was sent');
  assert.equal(seen.on_error.at(-1).errorType, 'stream_cut');
  const m = await metricsText(gw.url);
  assert.equal(metricValue(m, 'plugway_llm_requests_total', { provider: 'primary', model: 'gpt-4o-mini', status: 'cut' }), 1);
  const charged = seen.on_response.at(-1);
  assert.equal(charged.estimated, true, 'a cut stream is charged by estimate for what was delivered');
  assert.ok(charged.completionTokens > 0);
});

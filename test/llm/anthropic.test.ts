// The anthropic provider end to end: an OpenAI request in, Anthropic's Messages API (the mock)
// called, an OpenAI answer out — streamed or not, with the same token counts — and failover from
// an Anthropic provider to an OpenAI-compatible one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chatBody, postJson, sseData, startLlmGateway, startMockProvider } from './helpers.js';

test('OpenAI in, Anthropic Messages out and back, streamed or not; failover to an OpenAI-compatible provider', async (t) => {
  const claude = await startMockProvider({ name: 'claude' });
  const openai = await startMockProvider({ name: 'openai' });
  const gw = await startLlmGateway({
    providers: [
      { name: 'claude', type: 'anthropic', base_url: `${claude.url}/v1`, api_key: 'sk-ant', models: ['claude-3-5-haiku', 'gpt-4o-mini'], anthropic_version: '2023-06-01' },
      { name: 'openai', type: 'openai-compatible', base_url: `${openai.url}/v1`, models: ['gpt-4o-mini'] },
    ],
  });
  t.after(async () => {
    await gw.close();
    await claude.close();
    await openai.close();
  });
  const plain = await postJson(`${gw.url}/v1/chat/completions`, chatBody({ model: 'claude-3-5-haiku' }));
  assert.equal(plain.status, 200, plain.text);
  assert.equal(plain.headers.get('x-plugway-provider'), 'claude');
  assert.equal(claude.stats.messages, 1, 'the Messages API was called');
  assert.equal(plain.json.object, 'chat.completion');
  assert.match(plain.json.choices[0].message.content, /^Hello from claude\. You said: Say hello/);
  assert.equal(plain.json.choices[0].finish_reason, 'stop');
  // The mock counts the system prompt Anthropic received apart from the messages: the translation put it there.
  assert.equal(plain.json.usage.prompt_tokens, 3 + (7 + 1), 'system: 3 tokens without a role; the user turn: 7 + 1');

  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(chatBody({ model: 'claude-3-5-haiku', stream: true, stream_options: { include_usage: true } })),
  });
  const datas = sseData(await r.text());
  assert.equal(datas.at(-1), '[DONE]');
  const chunks = datas.slice(0, -1).map((d) => JSON.parse(d));
  assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), plain.json.choices[0].message.content);
  assert.deepEqual(chunks.at(-1).usage, plain.json.usage, 'same tokens streamed or not');
  assert.equal(claude.stats.streams, 1);

  claude.set({ mode: '500' });
  const failed = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(failed.headers.get('x-plugway-provider'), 'openai');
  assert.equal(failed.headers.get('x-plugway-fallbacks'), 'claude');
});

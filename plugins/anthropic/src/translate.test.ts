// The Anthropic translation, both directions: OpenAI request → Messages request, Messages answer
// and streaming events → OpenAI completion and chunks (with the usage chunk at the end).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamTranslator, toAnthropicRequest, toOpenAiResponse } from './translate.js';

test('OpenAI request → Anthropic: system lifted out, turns merged, max_tokens defaulted, stop and user mapped', () => {
  const out = toAnthropicRequest(
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'there' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } },
          ],
        },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Bye' },
      ],
      temperature: 1.5,
      stop: 'END',
      user: 'u1',
      top_p: 0.9,
    },
    'claude-3-5-haiku',
    512,
    true,
  );
  assert.deepEqual(out, {
    model: 'claude-3-5-haiku',
    system: 'Be brief.',
    messages: [
      { role: 'user', content: 'Hi' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'there' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA' } },
        ],
      },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Bye' },
    ],
    max_tokens: 512,
    temperature: 1,
    top_p: 0.9,
    stop_sequences: ['END'],
    metadata: { user_id: 'u1' },
    stream: true,
  });
  assert.equal(
    toAnthropicRequest(
      {
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
        max_tokens: 9,
      },
      'm',
      512,
      false,
    ).max_tokens,
    9,
  );
  assert.deepEqual(
    (
      toAnthropicRequest(
        {
          messages: [
            { role: 'user', content: 'a' },
            { role: 'user', content: 'b' },
          ],
        },
        'm',
        512,
        false,
      ).messages as unknown[]
    ).length,
    1,
  );
});

test('Anthropic answer → OpenAI chat.completion with usage and finish_reason', () => {
  const out = toOpenAiResponse(
    {
      id: 'msg_1',
      model: 'claude',
      content: [
        { type: 'text', text: 'Hel' },
        { type: 'text', text: 'lo' },
      ],
      stop_reason: 'max_tokens',
      usage: { input_tokens: 7, output_tokens: 2 },
    },
    123,
  );
  assert.deepEqual(out, {
    id: 'msg_1',
    object: 'chat.completion',
    created: 123,
    model: 'claude',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'length' }],
    usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 },
  });
});

test('Anthropic stream events → OpenAI chunks, the usage chunk last; an error event throws', () => {
  const tr = new StreamTranslator('claude');
  const events: Array<[string, Record<string, unknown>]> = [
    ['message_start', { type: 'message_start', message: { id: 'msg_2', model: 'claude-x', usage: { input_tokens: 11, output_tokens: 1 } } }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
    ['ping', { type: 'ping' }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }],
    ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' you' } }],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } }],
    ['message_stop', { type: 'message_stop' }],
  ];
  const chunks = events.flatMap(([e, d]) => tr.translate(e, d));
  assert.equal(tr.done, true);
  assert.deepEqual(
    chunks.map((c) => (c.choices as Array<{ delta: unknown; finish_reason: unknown }>)[0]?.delta ?? null),
    [{ role: 'assistant', content: '' }, { content: 'Hi' }, { content: ' you' }, {}, null],
  );
  assert.equal((chunks[3]!.choices as Array<{ finish_reason: string }>)[0]!.finish_reason, 'stop');
  assert.deepEqual(chunks[4]!.usage, { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
  assert.ok(chunks.every((c) => c.id === 'msg_2' && c.model === 'claude-x' && c.object === 'chat.completion.chunk'));
  assert.throws(() => new StreamTranslator('m').translate('error', { type: 'error', error: { type: 'overloaded_error', message: 'busy' } }), /overloaded_error busy/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSse, type SseMessage } from './sse.js';

async function all(chunks: string[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  async function* src() {
    for (const c of chunks) yield new TextEncoder().encode(c);
  }
  for await (const m of readSse(src())) out.push(m);
  return out;
}

test('readSse: events split across chunks, CRLF, multi-line data, comments, event and id fields', async () => {
  const msgs = await all(['data: {"a":', '1}\n', '\n: keep-alive\n\nevent: ping\r\nid: 7\r\ndata: x\r\n\r\n', 'data: l1\ndata: l2\n\ndata: [DONE]\n\n']);
  assert.deepEqual(msgs, [{ data: '{"a":1}' }, { event: 'ping', id: '7', data: 'x' }, { data: 'l1\nl2' }, { data: '[DONE]' }]);
});

test('readSse: an event without its blank line at the end of the body is still handed on', async () => {
  assert.deepEqual(await all(['data: last']), [{ data: 'last' }]);
});

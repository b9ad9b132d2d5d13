import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, createRingBuffers, decodeMessage, encodeMessage } from './channel.js';

test('the ring carries messages in order, wraps around, and refuses what does not fit', () => {
  const { toWorker } = createRingBuffers(4096);
  const writer = new Ring(toWorker);
  const reader = new Ring(toWorker);
  assert.equal(reader.read(), undefined);
  const seen: string[] = [];
  for (let round = 0; round < 50; round++) {
    const batch = Array.from({ length: 5 }, (_, i) => `${round}:${i}:${'é'.repeat((round * 7 + i) % 90)}`);
    for (const m of batch) assert.ok(writer.write(m));
    for (let m = reader.read(); m !== undefined; m = reader.read()) seen.push(m);
    assert.deepEqual(seen.splice(0), batch);
  }
  assert.equal(writer.write('x'.repeat(3000)), false, 'larger than half the ring: use the port');
  let n = 0;
  while (writer.write('y'.repeat(100))) n++;
  assert.ok(n > 10 && n < 40, 'a full ring refuses instead of overwriting');
  assert.equal(reader.read(), 'y'.repeat(100));
});

test('messages keep byte arrays (as tagged base64) through JSON', () => {
  const msg = { a: [new Uint8Array([0, 255, 7])], s: 'plain', n: null };
  const back = decodeMessage<typeof msg>(encodeMessage(msg));
  assert.deepEqual(back, msg);
  assert.ok(back.a[0] instanceof Uint8Array);
});

test('a waiting reader is woken by a write', async () => {
  const { toMain } = createRingBuffers(4096);
  const r = new Ring(toMain);
  const seq = r.seq();
  const woke = r.waitAsync(seq);
  assert.ok(woke, 'nothing written yet: the wait is pending');
  new Ring(toMain).write('hello');
  await woke;
  assert.equal(r.read(), 'hello');
});

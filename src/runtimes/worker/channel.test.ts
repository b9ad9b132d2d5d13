import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../../test/helpers/wait.js';
import { Ring, createRingBuffers, decodeMessage, encodeMessage, RingPump } from './channel.js';

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

const WAITING = 4; // Ring's control slot counting armed waits

/** A running pump over a fresh ring: its reader, a writer, what it got, and `end()` to stop it. */
function startPump(pollUs: number) {
  const { toMain } = createRingBuffers(4096);
  const reader = new Ring(toMain);
  const writer = new Ring(toMain);
  const got: string[] = [];
  let stop = false;
  const pump = new RingPump(reader, (m) => got.push(m), () => stop, { pollUs });
  const done = pump.run();
  const end = async () => {
    stop = true;
    writer.wake();
    await done;
  };
  return { reader, writer, got, pump, end };
}

test('a pump polls after a message (a write then needs no wake-up), then sleeps until woken', async () => {
  const { reader, writer, got, pump, end } = startPump(400_000);
  writer.write('first');
  await waitFor(() => got.length === 1, { what: 'the first message', everyMs: 1 });
  assert.deepEqual(got, ['first']);
  assert.equal(Atomics.load(reader.ctl, WAITING), 0, 'within the window the pump polls: no wait armed');
  writer.write('second'); // no notify is sent (nobody waits): the poll must find it
  await waitFor(() => got.length === 2, { what: 'the second message', everyMs: 1 });
  assert.deepEqual(got, ['first', 'second']);
  assert.equal(pump.pollWindowUs, 400_000, 'a poll that found a message keeps the window');
  // Past the window the pump sleeps on the ring, with a halved window, and a write wakes it.
  await waitFor(() => Atomics.load(reader.ctl, WAITING) === 1, { what: 'the pump to sleep', everyMs: 1 });
  assert.equal(Atomics.load(reader.ctl, WAITING), 1, 'after the window the pump sleeps on Atomics.waitAsync');
  assert.equal(pump.pollWindowUs, 200_000);
  writer.write('third');
  await waitFor(() => got.length === 3, { what: 'the third message', everyMs: 1 });
  assert.deepEqual(got, ['first', 'second', 'third']);
  await end();
});

test('the poll window shrinks while polls find nothing and widens when messages come soon after a sleep', async () => {
  const { reader, writer, got, pump, end } = startPump(100_000);
  // Sparse messages (each 60 ms after the pump fell asleep, past half of pollUs): each poll misses,
  // and no wake-up widens the window, down to the floor.
  const asleep = () => Atomics.load(reader.ctl, WAITING) === 1;
  for (let i = 0; i < 40 && pump.pollWindowUs > 10; i++) {
    await waitFor(asleep, { what: 'the pump to sleep', everyMs: 1 });
    await sleep(60);
    writer.write('sparse');
    await waitFor(() => got.length === i + 1, { what: 'a sparse message', everyMs: 1 });
  }
  await waitFor(asleep, { what: 'the pump to sleep', everyMs: 1 });
  assert.equal(pump.pollWindowUs, 10, 'halved on every miss, down to 10 µs');
  await sleep(60);
  // One more, then the next ~300 µs after the pump fell asleep: well within half of pollUs, so a window
  // of twice that gap would have caught it.
  writer.write('x');
  const turn = () => new Promise((r) => setImmediate(r));
  while (Atomics.load(reader.ctl, WAITING) !== 0) await turn(); // woken by 'x'
  while (Atomics.load(reader.ctl, WAITING) === 0) await turn(); // asleep again
  const until = performance.now() + 0.3; // 300 µs after it fell asleep (this thread can spin: the pump sleeps)
  while (performance.now() < until);
  writer.write('soon');
  while (Atomics.load(reader.ctl, WAITING) !== 0) await turn(); // woken by 'soon': the window is widened now (a later miss halves it)
  assert.ok(pump.pollWindowUs >= 600 && pump.pollWindowUs <= 100_000, `widened to twice the gap, got ${pump.pollWindowUs}`);
  await end();
});

test('a kick makes a sleeping pump poll', async () => {
  const { reader, writer, got, pump, end } = startPump(400_000);
  await waitFor(() => Atomics.load(reader.ctl, WAITING) === 1, { what: 'the pump to sleep', everyMs: 1 });
  assert.equal(Atomics.load(reader.ctl, WAITING), 1, 'nothing came within the window: asleep');
  // A call was sent: the answer is polled for, not waited on.
  pump.kick(); // it now polls for its (halved) 200 ms window
  await sleep(2); // a gap the test makes: the answer comes after the kick, while the pump polls
  writer.ctl[WAITING] = 0; // pretend nobody waits: write() sends no notify, so only polling can see it
  writer.write('answer');
  await waitFor(() => got.length === 1, { what: 'the answer', everyMs: 1 });
  assert.deepEqual(got, ['answer']);
  await end();
});

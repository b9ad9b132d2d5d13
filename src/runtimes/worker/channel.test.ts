import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../wait.test-helper.js';
import { Ring, createRingBuffers } from './channel.js';
import { PAUSE_AFTER_STALL, RingPump } from './ring-pump.js';
import { decodeFrame, decodeMessage, encodeFrame, encodeMessage, SEG_MIN_CHARS, TextBytes, type Wire } from './frame.js';

test('the ring carries messages in order, wraps around, and refuses what does not fit', () => {
  const { toWorker } = createRingBuffers(4096);
  const writer = new Ring(toWorker);
  const reader = new Ring(toWorker);
  assert.equal(reader.read(), undefined);
  const seen: Wire[] = [];
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

test('long strings and byte arrays cross as raw segments, one write and one read each', () => {
  const body = `${'é'.repeat(SEG_MIN_CHARS)}"\\\n\u0000`;
  const ascii = 'x'.repeat(64 * 1024);
  const msg = { t: 'call', id: 7, m: 'handleRequest', a: [{ body, headers: { h: 'short' }, raw: new Uint8Array([1, 2, 3]), list: [ascii, 'a'] }] };
  const wire = encodeFrame(msg);
  assert.equal(typeof wire, 'object', 'a frame with segments');
  const frame = wire as Exclude<Wire, string>;
  assert.equal(frame.segs?.length, 3);
  assert.ok(frame.text.length < 300, 'the long strings are not in the JSON text');
  const { toWorker } = createRingBuffers(1 << 20);
  const writer = new Ring(toWorker);
  const reader = new Ring(toWorker);
  for (let i = 0; i < 40; i++) {
    // 40 × ~70 KB through a 1 MiB ring: it wraps around several times
    assert.ok(writer.write(wire));
    const back = decodeFrame<typeof msg>(reader.read()!);
    assert.deepEqual(back, msg);
    assert.ok(back.a[0]!.raw instanceof Uint8Array);
  }
  assert.equal(reader.read(), undefined);
  // Small messages stay plain JSON text.
  assert.equal(typeof encodeFrame({ t: 'res', id: 1, ok: true, v: { body: 'short' } }), 'string');
  // A frame too large for the ring is refused (the caller posts it instead) and survives a port's clone.
  const huge = encodeFrame({ v: 'y'.repeat(600 * 1024) });
  assert.equal(writer.write(huge), false);
  assert.deepEqual(decodeFrame(structuredClone(huge)), { v: 'y'.repeat(600 * 1024) });
  // Byte arrays at any offset in their buffer (placed at their own alignment in the ring) come back whole.
  for (let offset = 0; offset < 9; offset++) {
    const backing = new Uint8Array(5000 + offset);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 7 + offset) & 255;
    const view = backing.subarray(offset, offset + 4093 + offset);
    const m = { t: 'res', v: [view, `${'s'.repeat(SEG_MIN_CHARS + offset)}`, new Uint8Array(0)] };
    assert.ok(writer.write(encodeFrame(m)));
    assert.deepEqual(decodeFrame(reader.read()!), m, `byte offset ${offset}`);
  }
  // A ring read with textAsBytes keeps long strings as their UTF-8 (TextBytes); sent on, they are strings again.
  assert.ok(writer.write(wire));
  const kept = decodeFrame<typeof msg>(new Ring(toWorker, true).read()!);
  assert.ok((kept.a[0]!.body as unknown) instanceof TextBytes);
  assert.equal(String(kept.a[0]!.body), body);
  assert.equal(JSON.stringify(kept.a[0]!.list), JSON.stringify([ascii, 'a']));
  assert.ok(writer.write(encodeFrame(kept)));
  assert.deepEqual(decodeFrame(reader.read()!), msg);
  // A released TextBytes gives its buffer to the next long string read; its own bytes are gone.
  const bytesRing = new Ring(toWorker, true);
  assert.ok(writer.write(wire));
  const first = decodeFrame<typeof msg>(bytesRing.read()!).a[0]!.body as unknown as TextBytes;
  const buffer = first.bytes.buffer;
  first.release();
  assert.throws(() => first.bytes, /after release/);
  assert.ok(writer.write(wire));
  const second = decodeFrame<typeof msg>(bytesRing.read()!).a[0]!.body as unknown as TextBytes;
  assert.equal(second.bytes.buffer, buffer, 'the released buffer is reused');
  assert.equal(String(second), body);
  // A string with a lone surrogate has no UTF-8 form: it stays in the JSON, and comes back as it was.
  const lone = { s: `${'q'.repeat(SEG_MIN_CHARS)}\ud800` };
  assert.equal(typeof encodeFrame(lone), 'string');
  assert.deepEqual(decodeFrame(encodeFrame(lone)), lone);
  // A placeholder-shaped object in user data with no segment behind it is left alone.
  assert.deepEqual(decodeFrame(encodeFrame({ a: { __plw_seg: 5 }, b: 'z'.repeat(SEG_MIN_CHARS) })), { a: { __plw_seg: 5 }, b: 'z'.repeat(SEG_MIN_CHARS) });
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
/** stallUs 0: the window tests below must not see a preemption of this busy test process as a stall. */
function startPump(pollUs: number, stallUs = 0) {
  const { toMain } = createRingBuffers(4096);
  const reader = new Ring(toMain);
  const writer = new Ring(toMain);
  const got: Wire[] = [];
  let stop = false;
  const pump = new RingPump(
    reader,
    (m) => got.push(m),
    () => stop,
    { pollUs, stallUs },
  );
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

test('a poll that sees its thread taken off the CPU stops polling for a while (the other end may share that CPU)', async () => {
  // A 50 ms threshold: a loaded 2-CPU machine takes a thread off the CPU for a few ms often enough
  // that a lower one could see a stall of its own before the test makes one.
  const { reader, writer, got, pump, end } = startPump(400_000, 50_000);
  writer.write('first');
  await waitFor(() => got.length === 1, { what: 'the first message', everyMs: 1 });
  assert.equal(pump.pollWindowUs, 400_000, 'polling within its window');
  // This thread is busy for 200 ms between two looks of the poll: a stall far above 50 ms.
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      const until = performance.now() + 200;
      while (performance.now() < until);
      resolve();
    }),
  );
  await waitFor(() => Atomics.load(reader.ctl, WAITING) === 1, { what: 'the pump to sleep after the stall', everyMs: 1 });
  assert.equal(pump.pollWindowUs, 10, 'the window drops to its floor');
  assert.equal(pump.pollPaused, PAUSE_AFTER_STALL, 'the next messages are waited for asleep');
  // A message soon after it fell asleep would widen an unpaused window to twice the gap; paused, it stays.
  writer.write('soon');
  await waitFor(() => got.length === 2, { what: 'the second message', everyMs: 1 });
  await waitFor(() => Atomics.load(reader.ctl, WAITING) === 1, { what: 'the pump to sleep again, without polling', everyMs: 1 });
  assert.equal(pump.pollWindowUs, 10);
  assert.equal(pump.pollPaused, PAUSE_AFTER_STALL - 1);
  await end();
});

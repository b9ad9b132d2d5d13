// A handler that returns an async iterable body is sent as text/event-stream: each event reaches
// the client before the next is produced (no buffering), and a client that goes away cancels it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { once } from 'node:events';
import { makeHost, startGateway } from './helpers.js';
import { formatEvent } from '../../src/gateway/event-stream.js';

/** An iterator the test drives: next() waits until the test releases an item; return() is recorded. */
function controlled() {
  const waiting: Array<(r: IteratorResult<unknown>) => void> = [];
  const queued: Array<IteratorResult<unknown>> = [];
  let returned = 0;
  let onReturn: (() => void) | undefined;
  const iterable: AsyncIterable<unknown> = {
    [Symbol.asyncIterator]() {
      return {
        next: () => (queued.length ? Promise.resolve(queued.shift()!) : new Promise((r) => waiting.push(r))),
        return: () => {
          returned++;
          onReturn?.();
          // a pending next() is settled as done, as a cancelled generator would be
          for (const w of waiting.splice(0)) w({ done: true, value: undefined });
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
  return {
    iterable,
    push(v: unknown, done = false) {
      const r = { done, value: v } as IteratorResult<unknown>;
      const w = waiting.shift();
      if (w) w(r);
      else queued.push(r);
    },
    get returned() {
      return returned;
    },
    whenReturned: () => new Promise<void>((r) => (onReturn = r)),
  };
}

function open(url: string) {
  const req = request(url);
  req.end();
  return once(req, 'response').then(([res]) => ({ req, res: res as import('node:http').IncomingMessage }));
}

function nextData(res: import('node:http').IncomingMessage): Promise<string> {
  return once(res, 'data').then(([d]) => String(d));
}

test("events are flushed one by one, with the handler's status and headers", async (t) => {
  const c = controlled();
  const host = await makeHost([
    { id: 'ticker', plugin: { handleRequest: () => ({ statusCode: 200, headers: { 'x-kind': 'ticks' }, body: c.iterable }) }, manifest: { endpoints: [{ path: '/ticks', method: 'GET' }] as never } },
  ]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const { req, res } = await open(`${gw.url}/ticks`);
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.equal(res.headers['x-kind'], 'ticks');
  assert.ok(res.headers['x-request-id']);
  // The first event arrives while the iterator has not produced the second: nothing waits for the end.
  const first = nextData(res);
  c.push('one');
  assert.equal(await first, 'data: one\n\n');
  const second = nextData(res);
  c.push({ event: 'tick', id: '2', data: { n: 2 } });
  assert.equal(await second, 'event: tick\nid: 2\ndata: {"n":2}\n\n');
  const end = once(res, 'end');
  c.push(undefined, true);
  res.resume();
  await end;
  assert.equal(c.returned, 0, 'a stream that ended by itself is not cancelled');
  req.destroy();
});

test('a client that disconnects cancels the iterator (return() is called)', async (t) => {
  const c = controlled();
  const host = await makeHost([{ id: 'ticker', plugin: { handleRequest: () => ({ statusCode: 200, body: c.iterable }) }, manifest: { endpoints: [{ path: '/ticks', method: 'GET' }] as never } }]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const { req, res } = await open(`${gw.url}/ticks`);
  const first = nextData(res);
  c.push('hello');
  await first;
  const returned = c.whenReturned();
  req.destroy(); // the client goes away while the handler waits for its next item
  await returned;
  assert.equal(c.returned, 1);
});

test('an iterator that throws mid-stream ends it with an error event; the gateway keeps serving', async (t) => {
  async function* failing() {
    yield 'a';
    throw new Error('upstream went away');
  }
  const host = await makeHost([{ id: 'bad', plugin: { handleRequest: () => ({ statusCode: 200, body: failing() }) }, manifest: { endpoints: [{ path: '/bad', method: 'GET' }] as never } }]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const r = await fetch(`${gw.url}/bad`);
  const text = await r.text();
  assert.ok(text.startsWith('data: a\n\n'));
  assert.match(text, /event: error\ndata: \{"error":\{"code":"PLW_ERR_STREAM_FAILED"/);
  assert.ok(!text.includes('upstream went away'), 'the reason stays in the log');
  assert.equal((await fetch(`${gw.url}/bad`)).status, 200);
});

test('formatEvent: multi-line data, bytes as they are, objects as JSON', () => {
  assert.equal(formatEvent('a\nb'), 'data: a\ndata: b\n\n');
  assert.equal(formatEvent({ data: 'x', event: 'e\nvil', retry: 1500 }), 'event: e vil\nretry: 1500\ndata: x\n\n');
  assert.equal(String(formatEvent(new TextEncoder().encode(': ping\n\n'))), ': ping\n\n');
  assert.equal(formatEvent({ n: 1 }), 'data: {"n":1}\n\n');
});

test('events ready in the same turn leave in two socket writes: the headers with the first event, then the rest', async (t) => {
  const n = 50;
  const ready = async function* () {
    for (let i = 0; i < n; i++) yield { n: i };
  };
  const host = await makeHost([{ id: 'burst', plugin: { handleRequest: () => ({ statusCode: 200, body: ready() }) }, manifest: { endpoints: [{ path: '/burst', method: 'GET' }] as never } }]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  let writes = 0;
  gw.app.server.on('connection', (sock: import('node:net').Socket) => {
    const s = sock as unknown as { _writeGeneric: (...a: unknown[]) => unknown };
    const orig = s._writeGeneric;
    s._writeGeneric = function (this: unknown, ...a: unknown[]) {
      writes++;
      return orig.apply(this, a);
    };
  });
  const { res } = await open(`${gw.url}/burst`);
  assert.equal(res.statusCode, 200);
  let text = '';
  res.setEncoding('utf8');
  for await (const d of res) text += d;
  assert.equal(text, Array.from({ length: n }, (_, i) => formatEvent({ n: i })).join(''));
  // The headers with the first event, the other events, the end of the chunked body at most (not one an event).
  assert.ok(writes <= 3, `${writes} socket writes for ${n} events`);
});

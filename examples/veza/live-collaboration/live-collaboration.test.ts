// live-collaboration through a real host and gateway, with two real WebSocket clients (ws) on one
// document: each sees the other's edits, concurrent edits made on the same version end in the same
// text on both, the document outlives its connections (ctx.storage), and bad input gets an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http } from '../../../test/gateway/helpers.js';
import { connect, isClient, open, type Client } from '../../../test/gateway/websocket-client.js';
import { until } from '../../../test/cluster/serve-node.js';
import { serveVeza } from '../test-gateway.js';

interface Edit {
  type: 'edit';
  version: number;
  by: string;
  op: 'insert' | 'delete';
  pos: number;
  text?: string;
  len?: number;
}

/** A client's copy of the document, kept by applying the server's edits in the order they come. */
function copy(text = '') {
  return {
    text,
    apply(e: Edit) {
      this.text = e.op === 'insert' ? this.text.slice(0, e.pos) + e.text + this.text.slice(e.pos) : this.text.slice(0, e.pos) + this.text.slice(e.pos + e.len!);
      return e;
    },
  };
}

test('two clients edit one document: each sees the other, concurrent edits converge, the text is kept', async (t) => {
  const gw = await serveVeza(['live-collaboration']);
  t.after(() => gw.close());
  const live = `${gw.url}/collab/docs/song/live`;
  const ada = await open(`${live}?user=ada`);
  assert.deepEqual(await ada.next(), { type: 'snapshot', doc: 'song', text: '', version: 0, users: ['ada'] });
  const grace = await open(`${live}?user=grace`);
  assert.deepEqual(await grace.next(), { type: 'snapshot', doc: 'song', text: '', version: 0, users: ['ada', 'grace'] });
  assert.deepEqual(await ada.next(), { type: 'joined', user: 'grace' });
  const [a, g] = [copy(), copy()];
  const both = async (version: number) => {
    const [x, y] = [a.apply(await ada.next()), g.apply(await grace.next())];
    assert.deepEqual(x, y, 'both get the same edit');
    assert.equal(x.version, version);
    return x;
  };

  // Each sees the other's edit, with its author.
  ada.send({ type: 'edit', base: 0, op: 'insert', pos: 0, text: 'Hello' });
  assert.deepEqual(await both(1), { type: 'edit', version: 1, by: 'ada', op: 'insert', pos: 0, text: 'Hello' });
  grace.send({ type: 'edit', base: 1, op: 'insert', pos: 5, text: ' world' });
  assert.equal((await both(2)).by, 'grace');
  assert.deepEqual([a.text, g.text], ['Hello world', 'Hello world']);

  // Both edit version 2 at once: the later one is moved over the earlier one, and the copies agree.
  ada.send({ type: 'edit', base: 2, op: 'insert', pos: 11, text: '!' });
  grace.send({ type: 'edit', base: 2, op: 'insert', pos: 0, text: 'Oh, ' });
  await both(3);
  await both(4);
  assert.deepEqual([a.text, g.text], ['Oh, Hello world!', 'Oh, Hello world!']);
  // A delete and an insert made on the same version (4): "Hello " goes, "big " lands before "world".
  ada.send({ type: 'edit', base: 4, op: 'delete', pos: 4, len: 6 });
  grace.send({ type: 'edit', base: 4, op: 'insert', pos: 10, text: 'big ' });
  await both(5);
  await both(6);
  assert.deepEqual([a.text, g.text], ['Oh, big world!', 'Oh, big world!']);

  // Bad input: an error for the sender only, and the connection stays open.
  ada.send('not json');
  assert.deepEqual((await ada.next()).code, 'BAD_EDIT');
  ada.send({ type: 'edit', base: 99, op: 'insert', pos: 0, text: 'x' });
  assert.match((await ada.next()).message, /ahead of the document/);
  ada.send({ type: 'edit', base: 6, op: 'delete', pos: 0 });
  assert.equal((await ada.next()).code, 'BAD_EDIT');

  const doc = await http(`${gw.url}/collab/docs/song`);
  assert.deepEqual(doc.json, { doc: 'song', text: 'Oh, big world!', version: 6, users: ['ada', 'grace'] });

  grace.ws.close();
  await grace.closed;
  assert.deepEqual(await ada.next(), { type: 'left', user: 'grace' });
  ada.ws.close();
  await ada.closed;

  // Everyone gone (the server sees ada's close after ada does: nothing to wait on but the answer), the
  // document is read back from ctx.storage.
  await until(async () => (await http(`${gw.url}/collab/docs/song`)).json.users.length === 0, 5000, 'the room empties');
  assert.deepEqual((await http(`${gw.url}/collab/docs/song`)).json, { doc: 'song', text: 'Oh, big world!', version: 6, users: [] });
  const later = await open(`${live}?user=ada`);
  t.after(() => later.ws.close());
  assert.deepEqual(await later.next(), { type: 'snapshot', doc: 'song', text: 'Oh, big world!', version: 6, users: ['ada'] });
  // An edit on a version older than the server remembers (none after a reload from storage) resyncs.
  later.send({ type: 'edit', base: 5, op: 'insert', pos: 0, text: 'x' });
  assert.deepEqual(await later.next(), { type: 'resync', code: 'STALE_BASE', doc: 'song', text: 'Oh, big world!', version: 6, users: ['ada'] });
});

test('a document id that is not 1-64 of A-Z a-z 0-9 _ - is refused', async (t) => {
  const gw = await serveVeza(['live-collaboration']);
  t.after(() => gw.close());
  const c = await connect(`${gw.url}/collab/docs/${'x'.repeat(65)}/live`);
  assert.ok(isClient(c));
  assert.deepEqual(await (c as Client).closed, { code: 1008, reason: 'a document id is 1-64 of A-Z a-z 0-9 _ -' });
  assert.equal((await http(`${gw.url}/collab/docs/a.b`)).status, 400);
});

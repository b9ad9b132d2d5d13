// live-collaboration: one shared text per document, edited over a WebSocket room. The server orders
// the edits: an edit names the version it was made on (`base`); one made on an older version is moved
// over the edits applied since (a small operational transform), applied, kept in ctx.storage, and
// broadcast with the new version to the whole room, its author included. Clients apply what comes back.
import type { HandlerPlugin, PluginContext, PluginRequest, PluginResponse, WebSocketConnection, WebSocketHooks } from 'plugway/sdk';

type Config = { max_length: number };
type Op = { op: 'insert'; pos: number; text: string } | { op: 'delete'; pos: number; len: number };
type Applied = Op & { version: number; by: string };
interface Doc {
  text: string;
  version: number;
  /** The last edits applied, oldest first: an edit made on a version older than these must resync. */
  history: Applied[];
  users: Map<string, string>;
}

const HISTORY = 200;
const DOC_ID = /^[\w-]{1,64}$/;
const docs = new Map<string, Promise<Doc>>();

function load(id: string, ctx: PluginContext<Config>): Promise<Doc> {
  let doc = docs.get(id);
  if (!doc) {
    doc = ctx.storage.get<{ text: string; version: number }>(`doc:${id}`).then((s) => ({ text: s?.text ?? '', version: s?.version ?? 0, history: [], users: new Map() }));
    docs.set(id, doc);
  }
  return doc;
}

/** Where position `x` is after `a` was applied (`end`: the end of a deleted range, which text inserted right at it does not join). */
function mapPos(x: number, a: Applied, end = false): number {
  if (a.op === 'insert') return x > a.pos || (x === a.pos && !end) ? x + a.text.length : x;
  return x <= a.pos ? x : Math.max(a.pos, x - a.len);
}

function transform(o: Op, a: Applied): Op {
  if (o.op === 'insert') return { ...o, pos: mapPos(o.pos, a) };
  const start = mapPos(o.pos, a);
  return { ...o, pos: start, len: Math.max(0, mapPos(o.pos + o.len, a, true) - start) };
}

/** The edit in a client message, or a reason it is not one. */
function parseEdit(data: string | Buffer): { base: number; op: Op } | string {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(String(data));
  } catch {
    return 'not JSON';
  }
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (m?.type !== 'edit' || !int(m.base) || !int(m.pos)) return 'send {"type":"edit","base":<version>,"op":"insert"|"delete","pos":<n>,…}';
  if (m.op === 'insert' && typeof m.text === 'string' && m.text.length > 0) return { base: m.base as number, op: { op: 'insert', pos: m.pos as number, text: m.text } };
  if (m.op === 'delete' && int(m.len) && (m.len as number) > 0) return { base: m.base as number, op: { op: 'delete', pos: m.pos as number, len: m.len as number } };
  return 'an insert needs a non-empty "text", a delete a "len" of at least 1';
}

const snapshot = (id: string, doc: Doc) => ({ doc: id, text: doc.text, version: doc.version, users: [...new Set(doc.users.values())].sort() });
const userOf = (conn: WebSocketConnection) => conn.user?.id ?? String(conn.query.user ?? 'guest').slice(0, 40);
const room = (id: string) => `doc:${id}`;

export default {
  async onOpen(conn: WebSocketConnection, ctx: PluginContext<Config>) {
    const id = conn.params.doc ?? '';
    if (!DOC_ID.test(id)) return conn.close(1008, 'a document id is 1-64 of A-Z a-z 0-9 _ -');
    const doc = await load(id, ctx);
    doc.users.set(conn.id, userOf(conn));
    conn.join(room(id));
    conn.broadcast(room(id), { type: 'joined', user: userOf(conn) }, { exceptSelf: true });
    return { type: 'snapshot', ...snapshot(id, doc) };
  },

  async onMessage(conn: WebSocketConnection, data: string | Buffer, ctx: PluginContext<Config>) {
    const id = conn.params.doc!;
    const doc = await load(id, ctx);
    const edit = parseEdit(data);
    if (typeof edit === 'string') return { type: 'error', code: 'BAD_EDIT', message: edit };
    if (edit.base > doc.version) return { type: 'error', code: 'BAD_EDIT', message: `base ${edit.base} is ahead of the document (version ${doc.version})` };
    const missed = doc.history.filter((a) => a.version > edit.base);
    if (missed.length < doc.version - edit.base) return { type: 'resync', code: 'STALE_BASE', ...snapshot(id, doc) };
    // From here to the broadcast nothing awaits: the edits of all connections are applied one at a time.
    let op = missed.reduce(transform, edit.op);
    const pos = Math.min(op.pos, doc.text.length);
    op = op.op === 'insert' ? { ...op, pos } : { ...op, pos, len: Math.min(op.len, doc.text.length - pos) };
    if (op.op === 'delete' && op.len === 0) return { type: 'noop', version: doc.version, reason: 'someone else deleted that text first' };
    const text = op.op === 'insert' ? doc.text.slice(0, pos) + op.text + doc.text.slice(pos) : doc.text.slice(0, pos) + doc.text.slice(pos + op.len);
    if (text.length > ctx.config.max_length) return { type: 'error', code: 'DOC_TOO_LONG', message: `a document holds at most ${ctx.config.max_length} characters` };
    const applied: Applied = { ...op, version: doc.version + 1, by: userOf(conn) };
    doc.text = text;
    doc.version = applied.version;
    doc.history.push(applied);
    if (doc.history.length > HISTORY) doc.history.shift();
    conn.broadcast(room(id), { type: 'edit', ...applied });
    await ctx.storage.set(`doc:${id}`, { text, version: applied.version });
    return undefined;
  },

  async onClose(conn: WebSocketConnection, _code: number, ctx: PluginContext<Config>) {
    const id = conn.params.doc ?? '';
    if (!docs.has(id)) return;
    const doc = await load(id, ctx);
    doc.users.delete(conn.id);
    conn.broadcast(room(id), { type: 'left', user: userOf(conn) }, { exceptSelf: true });
    // It is in ctx.storage: the next one to open it reads it from there.
    if (doc.users.size === 0) docs.delete(id);
  },

  async handleRequest(req: PluginRequest, ctx: PluginContext<Config>): Promise<PluginResponse> {
    const id = req.params.doc ?? '';
    if (!DOC_ID.test(id)) return { statusCode: 400, body: { error: { code: 'BAD_DOC_ID', message: 'a document id is 1-64 of A-Z a-z 0-9 _ -' } } };
    // An open document is read from memory; a closed one from storage, without loading it.
    const open = docs.get(id);
    const stored = open ? await open : await ctx.storage.get<{ text: string; version: number }>(`doc:${id}`);
    return { statusCode: 200, body: snapshot(id, { text: stored?.text ?? '', version: stored?.version ?? 0, history: [], users: new Map(), ...stored }) };
  },
} satisfies HandlerPlugin<Config> & WebSocketHooks<Config>;

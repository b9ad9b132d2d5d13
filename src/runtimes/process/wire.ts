// The process ABI (docs/process-abi.md): one JSON document per line on the child's stdin and stdout,
// snake_case method names, and the Veza seed's request/response field names. Translates between it
// and the worker protocol's messages, so the runtime above (IsolatedRuntime, BridgeServer) is shared.

import type { PluginRequest, PluginResponse } from '../../sdk/types.js';
import { decodeMessage, encodeMessage } from '../worker/frame.js';
import type { BridgeOp, LogLevel, ToMain, ToWorker, WireError } from '../worker/protocol.js';

export const PROCESS_ABI_VERSION = 1;

/** handleRequest → handle_request */
export function snakeMethod(method: string): string {
  return method.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** handle_request → handleRequest */
export function camelMethod(method: string): string {
  return method.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A PluginRequest as the plugin sees it: id, method, path, headers, body, user_id, context (+ params, query, user). */
export function toWireRequest(req: PluginRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: req.id,
    method: req.method,
    path: req.path,
    headers: req.headers,
    body: req.body ?? null,
    user_id: req.userId ?? null,
    context: req.context ?? {},
    params: req.params ?? {},
    query: req.query ?? {},
  };
  if (req.user) out.user = req.user;
  return out;
}

function toWireResponse(res: PluginResponse): Record<string, unknown> {
  const out: Record<string, unknown> = { status_code: res.statusCode, headers: res.headers ?? {}, body: res.body ?? null };
  if (res.metadata) out.metadata = res.metadata;
  return out;
}

/** A response from the plugin (status_code, headers, body, metadata) as a PluginResponse; other values pass through. */
export function fromWireResponse(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (!('status_code' in v) && !('statusCode' in v)) return value;
  const out: PluginResponse = { statusCode: Number(v.status_code ?? v.statusCode) };
  if (v.headers !== undefined && v.headers !== null) out.headers = v.headers as PluginResponse['headers'];
  if (v.body !== undefined && v.body !== null) out.body = v.body;
  if (v.metadata !== undefined && v.metadata !== null) out.metadata = v.metadata as Record<string, unknown>;
  return out;
}

/** The arguments of `method` as they go on the wire (requests and responses renamed). */
export function toWireArgs(method: string, args: readonly unknown[]): unknown[] {
  switch (method) {
    case 'handleRequest':
    case 'onRequest':
    case 'authenticate':
      return [toWireRequest(args[0] as PluginRequest), ...args.slice(1)];
    case 'onResponse':
      return [toWireRequest(args[0] as PluginRequest), toWireResponse(args[1] as PluginResponse), ...args.slice(2)];
    default:
      return args as unknown[];
  }
}

/** A result from the wire as the host expects it for `method`. */
export function fromWireResult(method: string, value: unknown): unknown {
  if (value === null) return method === 'authenticate' ? null : undefined;
  if (method === 'handleRequest' || method === 'onRequest' || method === 'onResponse') return fromWireResponse(value);
  return value;
}

/** A request body at least this long goes after its call line as raw bytes, to a plugin that said it reads them. */
export const RAW_BODY_MIN_CHARS = 2048;

/**
 * A call whose request body is a long string, for a plugin whose `ready` listed the `raw_body`
 * feature: the line carries `"raw_body": <bytes>` and `body: null`, and exactly that many bytes of
 * UTF-8 follow it. Neither side then escapes, scans or unescapes the body as JSON (for 64 KiB,
 * Python's json.loads alone is ~10× a UTF-8 decode). Undefined when the call does not qualify.
 */
export function encodeRawCall(msg: Extract<ToWorker, { t: 'call' }>): [line: string, body: Buffer] | undefined {
  if (msg.m !== 'handleRequest' && msg.m !== 'onRequest' && msg.m !== 'authenticate' && msg.m !== 'onResponse') return undefined;
  const req = msg.a[0] as PluginRequest | undefined;
  if (!req || typeof req.body !== 'string' || req.body.length < RAW_BODY_MIN_CHARS) return undefined;
  const body = Buffer.from(req.body, 'utf8');
  const params = toWireArgs(msg.m, [{ ...req, body: undefined }, ...msg.a.slice(1)]);
  return [encodeMessage({ type: 'call', id: msg.id, method: snakeMethod(msg.m), params, raw_body: body.length }) + '\n', body];
}

/** Host → plugin: a worker-protocol message as a wire line (undefined: nothing to send). */
export function encodeToPlugin(msg: ToWorker): string | undefined {
  switch (msg.t) {
    case 'call':
      return encodeMessage({ type: 'call', id: msg.id, method: snakeMethod(msg.m), params: toWireArgs(msg.m, msg.a) }) + '\n';
    case 'cancel':
      return `{"type":"cancel","id":${msg.id}}\n`;
    case 'br':
      return encodeMessage(msg.ok ? { type: 'host_result', id: msg.id, ok: true, value: msg.v ?? null } : { type: 'host_result', id: msg.id, ok: false, error: msg.e }) + '\n';
    case 'ping':
      return `{"type":"ping","id":${msg.id}}\n`;
    case 'flags':
      return encodeMessage({ type: 'flags', flags: msg.v }) + '\n';
    case 'event':
      return encodeMessage({ type: 'event', subscription: msg.sub, event: msg.v }) + '\n';
    case 'abort':
      return '{"type":"shutdown"}\n';
    default:
      return undefined; // usage is read from the cgroup, not asked of the plugin
  }
}

const LEVELS = new Set<LogLevel>(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const OPS = new Set<BridgeOp>(['storage.get', 'storage.set', 'storage.delete', 'storage.exists', 'events.emit', 'events.on', 'events.off', 'http.fetch']);

export class ProtocolError extends Error {}

function wireError(e: unknown): WireError {
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    const out: WireError = { message: typeof o.message === 'string' ? o.message : JSON.stringify(e) };
    if (typeof o.name === 'string') out.name = o.name;
    if (typeof o.code === 'string') out.code = o.code;
    if (o.params && typeof o.params === 'object') out.params = o.params as Record<string, unknown>;
    if (typeof o.stack === 'string') out.stack = o.stack;
    return out;
  }
  return { message: typeof e === 'string' ? e : 'the plugin reported an error without a message' };
}

/**
 * Plugin → host: one wire line as a worker-protocol message. `methodOf(id)` names the pending call
 * a result answers (to map its value). Throws ProtocolError on anything that is not the ABI.
 */
export function decodeFromPlugin(line: string, methodOf: (id: number) => string | undefined): ToMain {
  let m: Record<string, unknown>;
  try {
    m = decodeMessage<Record<string, unknown>>(line);
  } catch {
    throw new ProtocolError(`not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new ProtocolError(`not a message object: ${line.slice(0, 80)}`);
  const id = m.id as number;
  switch (m.type) {
    case 'result': {
      if (typeof id !== 'number') throw new ProtocolError('a result without a numeric id');
      const method = methodOf(id) ?? '';
      return m.ok === false ? { t: 'res', id, ok: false, e: wireError(m.error) } : { t: 'res', id, ok: true, v: fromWireResult(method, m.value ?? null) };
    }
    case 'host_call': {
      const op = m.op as BridgeOp;
      if (typeof id !== 'number' || !OPS.has(op)) throw new ProtocolError(`unknown host call ${String(m.op)}`);
      return { t: 'br', id, op, a: Array.isArray(m.args) ? m.args : [] };
    }
    case 'log': {
      const level = LEVELS.has(m.level as LogLevel) ? (m.level as LogLevel) : 'info';
      const fields = m.fields && typeof m.fields === 'object' ? (m.fields as Record<string, unknown>) : undefined;
      return { t: 'log', l: level, ...(fields ? { o: fields } : {}), s: String(m.message ?? '') };
    }
    case 'ready': {
      const ready: ToMain & { features?: string[] } = { t: 'ready', methods: (Array.isArray(m.methods) ? m.methods : []).map((x) => camelMethod(String(x))) };
      if (Array.isArray(m.features)) ready.features = m.features.map(String);
      return ready;
    }
    case 'load_error':
      return { t: 'load-error', e: wireError(m.error) };
    case 'pong':
      return { t: 'pong', id: typeof id === 'number' ? id : -1 };
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(m.type)}`);
  }
}

/**
 * Splits a byte stream into lines without copying the common case (one chunk, one line). A line
 * longer than `maxLineBytes` stops the reader: onTooLong is called once and nothing more is read.
 */
export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private stopped = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped) return;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      let line: string;
      if (this.size === 0) line = chunk.toString('utf8', start, nl);
      else {
        this.parts.push(chunk.subarray(start, nl));
        line = Buffer.concat(this.parts, this.size + nl - start).toString('utf8');
        this.parts = [];
        this.size = 0;
      }
      start = nl + 1;
      if (line.length > 0) this.onLine(line);
      if (this.stopped) return;
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.size += chunk.length - start;
      if (this.size > this.maxLineBytes) {
        this.stopped = true;
        this.parts = [];
        this.onTooLong(this.size);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.parts = [];
  }
}

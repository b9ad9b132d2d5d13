// Checks a PluginResponse and turns it into what Fastify sends: status, headers, payload.
// A response that breaks the contract is a 502 PLW_ERR_INVALID_RESPONSE, not a crash.

import { Readable, type Duplex } from 'node:stream';
import { PlugwayError } from '../errors.js';
import type { PluginResponse } from '../sdk/types.js';
import { EVENT_STREAM_TYPE, isAsyncIterable } from './event-stream.js';
import { isUpgradeBody } from './stream-response.js';

export interface WireResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  contentType?: string;
  /**
   * A Node Readable (a proxied download, an upstream's SSE feed) is sent raw as it comes, not held to
   * maxResponseBytes and not re-framed as events.
   */
  payload?: string | Buffer | Readable;
  /** A 101 whose body is a socket: spliced with the client's (stream-response.ts). */
  upgrade?: Duplex;
  /** A body that is an async iterable: sent as server-sent events (event-stream.ts), one per item. */
  stream?: AsyncIterable<unknown>;
  /** Told when the stream fails after it started (the status line is gone; the call step logs it). */
  onStreamError?: (err: unknown) => void;
  /**
   * A JSON body checked but not serialized yet (checkResponse): middleware on the way out often
   * replace the response with the same body, so it is serialized once, by the serialize step.
   */
  pending?: { pluginId: string; body: unknown };
}

// Framing is Node's job; a plugin setting these would corrupt the connection. The request id is
// the gateway's: a plugin cannot replace the one the log line and the caller share.
const DROPPED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'x-request-id']);
const JSON_TYPE = 'application/json; charset=utf-8';
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Node's own rule for a header value: CR, LF, NUL and other controls would split or corrupt the response. */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

// What a header name means, by the name as a plugin wrote it: its lower-case form, or one of the
// markers below. Plugins send the same few names on every answer, so a name is checked against the
// token rule and lowered once, not once a response; the cache is bounded (cleared when full), so
// a plugin inventing names costs only the check it would have cost anyway.
const DROPPED = '\0dropped';
const CONTENT_TYPE = '\0content-type';
const CONTENT_LENGTH = '\0content-length';
const NAME_CACHE_MAX = 1024;
const names = new Map<string, string>();

function headerName(pluginId: string, name: string): string {
  let info = names.get(name);
  if (info !== undefined) return info;
  if (!HEADER_NAME.test(name)) throw invalid(pluginId, `header name ${JSON.stringify(name)} is not a valid token`);
  const lower = name.toLowerCase();
  info = lower === 'content-type' ? CONTENT_TYPE : lower === 'content-length' ? CONTENT_LENGTH : DROPPED_HEADERS.has(lower) ? DROPPED : lower;
  if (names.size >= NAME_CACHE_MAX) names.clear();
  names.set(name, info);
  return info;
}

/**
 * On every plugin response unless gateway.sandbox_plugin_responses is false (steps/sandbox.ts): the
 * browser gives a plugin's page an opaque origin of its own.
 */
export const PLUGIN_SANDBOX_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-downloads';

/** Adds the sandbox to whatever CSP a plugin set (every policy sent is enforced). */
export function withSandbox(headers: Record<string, string | string[]> | undefined): Record<string, string | string[]> {
  const out = headers ?? {};
  const own = out['content-security-policy'];
  out['content-security-policy'] = own === undefined ? PLUGIN_SANDBOX_CSP : [...(Array.isArray(own) ? own : [own]), PLUGIN_SANDBOX_CSP];
  return out;
}

function invalid(pluginId: string, reason: string): PlugwayError {
  return new PlugwayError('PLW_ERR_INVALID_RESPONSE', { id: pluginId, reason });
}

/** A plugin's response checked and turned into what is sent (JSON serialized now). */
export function toWireResponse(pluginId: string, res: unknown, maxBytes: number): WireResponse {
  return serializePending(checkResponse(pluginId, res, maxBytes), maxBytes);
}

/** Serializes a pending JSON body (PLW_ERR_INVALID_RESPONSE, PLW_ERR_RESPONSE_TOO_LARGE name the plugin it came from). */
export function serializePending(out: WireResponse, maxBytes: number): WireResponse {
  const p = out.pending;
  if (!p) return out;
  let json: string | undefined;
  try {
    json = JSON.stringify(p.body);
  } catch (err) {
    throw invalid(p.pluginId, `body cannot be serialized as JSON (${(err as Error)?.name ?? 'error'}: a cycle, a BigInt or a throwing toJSON)`);
  }
  const payload = json ?? 'null';
  const size = payload.length > maxBytes / 4 ? Buffer.byteLength(payload) : payload.length;
  if (size > maxBytes) throw new PlugwayError('PLW_ERR_RESPONSE_TOO_LARGE', { id: p.pluginId, method: 'handleRequest', size, limit: maxBytes });
  const done: WireResponse = { status: out.status, payload };
  if (out.headers) done.headers = out.headers;
  if (out.contentType !== undefined) done.contentType = out.contentType;
  return done;
}

/**
 * Checks a plugin's response (status, headers, body type, string/bytes size); a JSON body is left pending.
 * `prev`: the response this one replaces, already checked (a middleware's onResponse); a header whose
 * value is the very string it had there is not checked again, unless the headers object is the same
 * one (changed in place, so nothing in it is known).
 */
export function checkResponse(pluginId: string, res: unknown, maxBytes: number, prev?: PluginResponse, prevWire?: WireResponse): WireResponse {
  if (res === null || typeof res !== 'object' || Array.isArray(res))
    throw invalid(pluginId, `expected an object { statusCode, headers?, body? }, got ${res === null ? 'null' : Array.isArray(res) ? 'an array' : typeof res}`);
  const r = res as PluginResponse;
  const status = r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status)) {
    throw invalid(pluginId, `statusCode must be an integer 200-599, got ${JSON.stringify(status)}`);
  }
  // A 101 whose body is the upstream's socket is a proxied upgrade (the send step splices it only
  // when the request asked to upgrade); any other 1xx on a keep-alive connection reads as an interim
  // answer (101: a tunnel) to a front proxy.
  const upgrade = isUpgradeBody(status, r.body);
  if (!upgrade && (status < 200 || status > 599)) throw new PlugwayError('PLW_ERR_INVALID_STATUS', { id: pluginId, status });
  const out: WireResponse = { status };
  let contentType: string | undefined;
  let contentLength: string | undefined;
  if (r.headers !== undefined) {
    if (r.headers === null || typeof r.headers !== 'object') throw invalid(pluginId, 'headers must be an object of strings');
    const headers: Record<string, string | string[]> = {};
    const known = prev?.headers !== undefined && prev.headers !== r.headers ? prev.headers : undefined;
    for (const name in r.headers) {
      const v = r.headers[name];
      const info = headerName(pluginId, name);
      if (typeof v === 'string') {
        if (info === CONTENT_LENGTH) contentLength = v;
        if (info === DROPPED || info === CONTENT_LENGTH) continue;
        // a value that is the very string it was in the response this one replaces was checked there
        if ((known === undefined || known[name] !== v) && BAD_HEADER_VALUE.test(v)) throw new PlugwayError('PLW_ERR_INVALID_HEADER', { id: pluginId, header: JSON.stringify(name) });
        if (info === CONTENT_TYPE) contentType = v;
        else headers[info] = v;
        continue;
      }
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(pluginId, `header ${name} must be a string or an array of strings`);
      if (info === DROPPED || info === CONTENT_LENGTH) continue;
      if (v.some((x) => BAD_HEADER_VALUE.test(x))) throw new PlugwayError('PLW_ERR_INVALID_HEADER', { id: pluginId, header: JSON.stringify(name) });
      if (info === CONTENT_TYPE) contentType = v[0];
      else headers[info] = v;
    }
    out.headers = headers;
  }
  const body = r.body;
  // The JSON body of the response this one replaces (`prevWire`, checked from `prev`), kept as it was:
  // checked already, and still named after the plugin it came from.
  if (prevWire?.pending !== undefined && body === prevWire.pending.body && typeof body === 'object' && body !== null) {
    out.pending = prevWire.pending;
    out.contentType = contentType ?? JSON_TYPE;
    return out;
  }
  let size = 0;
  if (upgrade) {
    out.upgrade = body as Duplex;
    return out;
  }
  // A Node Readable is an async iterable too: it is recognised first and sent raw (a proxied body),
  // while any other async iterable becomes server-sent events below.
  if (body instanceof Readable) {
    out.payload = body;
    // a stream's length is the sender's to state (a proxied download keeps its Content-Length)
    if (contentLength !== undefined) (out.headers ??= {})['content-length'] = contentLength;
    if (contentType !== undefined) out.contentType = contentType;
    return out;
  }
  if (body === undefined || body === null) {
    // no payload
  } else if (typeof body === 'string') {
    out.payload = body;
    out.contentType = contentType ?? 'text/plain; charset=utf-8';
    size = body.length > maxBytes / 4 ? Buffer.byteLength(body) : body.length;
  } else if (body instanceof Uint8Array) {
    out.payload = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    out.contentType = contentType ?? 'application/octet-stream';
    size = body.byteLength;
  } else if (isAsyncIterable(body)) {
    out.stream = body;
    out.contentType = contentType ?? EVENT_STREAM_TYPE;
  } else if (typeof body === 'object' || typeof body === 'number' || typeof body === 'boolean') {
    out.pending = { pluginId, body };
    out.contentType = contentType ?? JSON_TYPE;
  } else {
    throw invalid(pluginId, `body must be an object, array, string, Uint8Array or async iterable, got ${typeof body}`);
  }
  if (size > maxBytes) {
    throw new PlugwayError('PLW_ERR_RESPONSE_TOO_LARGE', { id: pluginId, method: 'handleRequest', size, limit: maxBytes });
  }
  if (out.contentType === undefined && contentType !== undefined) out.contentType = contentType;
  return out;
}

// protocol plugin: the Veza seed's contract over HTTP. The gateway POSTs a PluginRequest as JSON
// ({id, method, path, headers, body, user_id, context}, plus query and params) and reads back a
// PluginResponse ({status_code, headers, body, metadata}), so a service in any language fits.

import type { Dispatcher } from 'undici';
import { PlugwayError } from '../../errors.js';
import type { RemoteSpec } from '../../manifest/remote.js';
import type { PluginRequest, PluginResponse } from '../../sdk/types.js';
import { forwardHeaders, type Attempt } from './http-proxy.js';
import type { Upstream } from './upstream.js';

/** Largest PluginResponse read back (the answer is parsed whole). */
export const MAX_PLUGIN_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The seed's PluginRequest (headers as one string each; bytes as base64 with body_encoding). */
export function wireRequest(preq: PluginRequest): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(preq.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const out: Record<string, unknown> = {
    id: preq.id,
    method: preq.method,
    path: preq.path,
    headers,
    query: preq.query ?? {},
    params: preq.params ?? {},
    body: null,
    user_id: preq.userId ?? null,
    context: preq.context ?? {},
  };
  const b = preq.body;
  if (b instanceof Uint8Array) {
    out.body = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
    out.body_encoding = 'base64';
  } else if (b !== undefined) out.body = b;
  if (preq.user) out.user = preq.user;
  return out;
}

function invalid(id: string, reason: string): PlugwayError {
  return new PlugwayError('PLW_ERR_INVALID_RESPONSE', { id, reason });
}

/** Checks the service's answer and maps it to a PluginResponse. */
export function fromWire(id: string, status: number, text: string): PluginResponse {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid(id, `the service answered HTTP ${status} with a body that is not JSON (a PluginResponse {status_code, headers, body} was expected): ${text.slice(0, 120)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(id, 'the service answered JSON that is not a PluginResponse object');
  const o = v as Record<string, unknown>;
  const code = o.status_code ?? o.statusCode;
  if (typeof code !== 'number') throw invalid(id, `status_code must be a number, got ${JSON.stringify(code)}`);
  const res: PluginResponse = { statusCode: code };
  if (o.headers !== undefined && o.headers !== null) {
    if (typeof o.headers !== 'object' || Array.isArray(o.headers)) throw invalid(id, 'headers must be an object of strings');
    res.headers = o.headers as Record<string, string>;
  }
  if (o.body !== undefined && o.body !== null) res.body = o.body_encoding === 'base64' && typeof o.body === 'string' ? Buffer.from(o.body, 'base64') : o.body;
  if (o.metadata && typeof o.metadata === 'object') res.metadata = o.metadata as Record<string, unknown>;
  return res;
}

/** One attempt: POST the PluginRequest to `up`; the upstream's own status is returned beside the answer. */
export async function requestPlugin(spec: RemoteSpec, up: Upstream, preq: PluginRequest, a: Attempt, pluginId: string): Promise<{ transportStatus: number; response?: PluginResponse }> {
  const headers = forwardHeaders(preq);
  const opts: Dispatcher.RequestOptions = {
    method: 'POST',
    path: up.basePath + spec.pluginPath,
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': preq.id, ...pick(headers, 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host') },
    body: JSON.stringify(wireRequest(preq)),
    headersTimeout: a.headersTimeoutMs,
    bodyTimeout: a.idleTimeoutMs,
  };
  if (a.signal) opts.signal = a.signal;
  const res = await up.pool.request(opts);
  // a 5xx without a PluginResponse is the service failing, not the plugin answering
  const type = String(res.headers['content-type'] ?? '');
  if (res.statusCode >= 500 && !type.includes('json')) {
    await res.body.dump();
    return { transportStatus: res.statusCode };
  }
  const len = Number(res.headers['content-length'] ?? 0);
  if (len > MAX_PLUGIN_RESPONSE_BYTES) {
    res.body.destroy();
    throw new PlugwayError('PLW_ERR_RESPONSE_TOO_LARGE', { id: pluginId, method: 'handleRequest', size: len, limit: MAX_PLUGIN_RESPONSE_BYTES });
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_PLUGIN_RESPONSE_BYTES) {
      res.body.destroy();
      throw new PlugwayError('PLW_ERR_RESPONSE_TOO_LARGE', { id: pluginId, method: 'handleRequest', size, limit: MAX_PLUGIN_RESPONSE_BYTES });
    }
    chunks.push(chunk as Buffer);
  }
  return { transportStatus: res.statusCode, response: fromWire(pluginId, res.statusCode, Buffer.concat(chunks).toString('utf8')) };
}

function pick(h: Record<string, string | string[]>, ...names: string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const n of names) if (h[n] !== undefined) out[n] = h[n]!;
  return out;
}

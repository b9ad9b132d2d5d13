// The wasm plugin ABI (docs/wasm-abi.md): which export serves which plugin method, how a request
// maps to an endpoint's raw `function`, and which hosts a plugin may reach.

import type { EndpointSpec } from '../../manifest/types.js';
import type { PluginRequest } from '../../sdk/types.js';

/** Plugin methods and the exports that implement them. */
export const METHOD_EXPORTS: Record<string, string> = {
  init: 'init',
  start: 'start',
  stop: 'stop',
  healthCheck: 'health_check',
  handleRequest: 'handle_request',
  handleEvent: 'handle_event',
  // WebSocket endpoints (docs/wasm-abi.md#websocket-endpoints)
  onOpen: 'on_open',
  onMessage: 'on_message',
  onClose: 'on_close',
};

/** The WebSocket hooks' input: `{"conn": …}` plus `data`/`dataBase64` (on_message) or `code` (on_close). */
export function websocketInput(method: string, args: readonly unknown[]): string {
  const input: Record<string, unknown> = { conn: args[0] };
  if (method === 'onMessage') {
    const data = args[1];
    if (data instanceof Uint8Array) input.dataBase64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    else input.data = data;
  } else if (method === 'onClose') input.code = args[1];
  return JSON.stringify(input);
}

/**
 * A WebSocket hook's output: empty is nothing to do; `{"actions": [...]}` is returned as actions
 * (`dataBase64` becomes bytes); anything else is text to send to the connection.
 */
export function websocketAnswer(text: string): unknown {
  if (!text.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  const actions = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as { actions?: unknown }).actions : undefined;
  if (!Array.isArray(actions)) return text;
  return {
    actions: actions.map((a) => {
      if (!a || typeof a !== 'object' || typeof (a as { dataBase64?: unknown }).dataBase64 !== 'string') return a;
      const { dataBase64, ...rest } = a as { dataBase64: string };
      return { ...rest, data: new Uint8Array(Buffer.from(dataBase64, 'base64')) };
    }),
  };
}

/** Plugin methods a module implements, given its exports (handleRequest also when endpoints name functions). */
export function implementedMethods(exportNames: readonly string[], endpoints: readonly EndpointSpec[]): string[] {
  const names = new Set(exportNames);
  const out = Object.entries(METHOD_EXPORTS)
    .filter(([, exp]) => names.has(exp))
    .map(([m]) => m);
  if (!out.includes('handleRequest') && endpoints.some((e) => e.function && names.has(e.function))) out.push('handleRequest');
  return out;
}

function templateRegex(path: string): RegExp {
  const escaped = path
    .split(/(\{[^}]+\})/)
    .map((part) => (/^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  // A gateway may mount a plugin under a prefix: match the template at the end of the path.
  return new RegExp(`${escaped}/?$`);
}

/**
 * The endpoint `req` is for, among those naming a raw `function`: same method, path matching the
 * template (params as single segments), at the end of the request path (prefixes allowed).
 * The most specific (longest template) wins.
 */
export function endpointFunction(req: Pick<PluginRequest, 'method' | 'path'>, endpoints: readonly EndpointSpec[]): string | undefined {
  let best: EndpointSpec | undefined;
  for (const e of endpoints) {
    if (!e.function || e.method !== req.method.toUpperCase()) continue;
    if (!templateRegex(e.path).test(req.path)) continue;
    if (!best || e.path.length > best.path.length) best = e;
  }
  if (!best) return undefined;
  // An endpoint without `function` that matches better is served by handle_request.
  for (const e of endpoints) {
    if (e.function || e.method !== req.method.toUpperCase()) continue;
    if (templateRegex(e.path).test(req.path) && e.path.length > best.path.length) return undefined;
  }
  return best.function;
}

/** The raw input of a `function:` endpoint: the request body as bytes or text. */
export function rawInput(body: unknown): string | Uint8Array {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body;
  return JSON.stringify(body);
}

/** The host check lives with the fetch policy (shared with the process runtime). */
export { hostAllowed } from '../fetch-policy.js';

// openai-compatible: plugway's built-in provider for OpenAI-style chat completion APIs, written
// only against plugway/sdk. Non-streamed answers and chunks pass through as the upstream sent them.
import { Agent, request, type Dispatcher } from 'undici';
import {
  httpFailure,
  isProviderFailure,
  readSse,
  transportFailure,
  type ChatChunk,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type PluginContext,
  type ProviderFailure,
  type ProviderPlugin,
  type ProviderRequest,
  type ProviderResponse,
  type ProviderTarget,
} from 'plugway/sdk';

export interface OpenAiCompatibleConfig {
  base_url?: string;
  api_key?: string;
  models?: string[];
  timeout?: string | number;
}

type Ctx = PluginContext<OpenAiCompatibleConfig>;

/** "60s", "500ms", "2m" or a number of ms. */
export function durationMs(v: string | number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(v.trim());
  if (!m) return fallback;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'];
}

/** One keep-alive pool per upstream origin: connections are reused across requests. */
const agents = new Map<string, Agent>();
function agentFor(timeoutMs: number): Dispatcher {
  const key = String(timeoutMs);
  let a = agents.get(key);
  if (!a) agents.set(key, (a = new Agent({ connect: { timeout: Math.min(timeoutMs, 10_000) }, keepAliveTimeout: 30_000, connections: 256, pipelining: 1 })));
  return a;
}

function targetOf(req: { target?: ProviderTarget }, ctx: Ctx): ProviderTarget {
  if (req.target) return req.target;
  const c = ctx.config;
  return { name: ctx.pluginId, type: ctx.pluginId, baseUrl: c.base_url, apiKey: c.api_key, models: c.models ?? [], timeoutMs: durationMs(c.timeout, 60_000), options: {} };
}

function urlOf(t: ProviderTarget, path: string): string {
  if (!t.baseUrl) throw new Error(`provider ${t.name}: base_url is not set`);
  return `${t.baseUrl.replace(/\/+$/, '')}${path}`;
}

function headersOf(t: ProviderTarget): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (t.apiKey) h.authorization = `Bearer ${t.apiKey}`;
  const extra = t.options.headers;
  if (extra && typeof extra === 'object') for (const [k, v] of Object.entries(extra)) if (typeof v === 'string') h[k.toLowerCase()] = v;
  return h;
}

/** The upstream body: the client's own (tools, top_p…) with the model and stream flags set. */
function bodyOf(req: ProviderRequest, stream: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = req.body ? { ...req.body } : { messages: req.messages };
  if (!req.body) {
    if (req.maxTokens !== undefined) base.max_tokens = req.maxTokens;
    if (req.temperature !== undefined) base.temperature = req.temperature;
  }
  base.model = req.model;
  base.stream = stream;
  if (stream) base.stream_options = { ...(base.stream_options as object | undefined), include_usage: true };
  else delete base.stream_options;
  return base;
}

async function post(t: ProviderTarget, path: string, body: unknown, ctx: Ctx): Promise<Dispatcher.ResponseData | ProviderFailure> {
  try {
    return await request(urlOf(t, path), {
      method: 'POST',
      headers: headersOf(t),
      body: JSON.stringify(body),
      dispatcher: agentFor(t.timeoutMs),
      headersTimeout: t.timeoutMs,
      bodyTimeout: t.timeoutMs,
      signal: ctx.signal,
    });
  } catch (err) {
    return transportFailure(t.name, err);
  }
}

async function failed(t: ProviderTarget, res: Dispatcher.ResponseData): Promise<ProviderFailure> {
  const text = await res.body.text().catch(() => '');
  return httpFailure(t.name, res.statusCode, res.headers, text);
}

async function readJson(t: ProviderTarget, res: Dispatcher.ResponseData): Promise<{ json: Record<string, unknown> } | ProviderFailure> {
  try {
    return { json: (await res.body.json()) as Record<string, unknown> };
  } catch (err) {
    const f = transportFailure(t.name, err);
    return f.error.type === 'timeout' ? f : { error: { type: 'invalid', message: `${t.name}: the answer is not JSON: ${(err as Error).message}` } };
  }
}

/** The OpenAI chat.completion as a ProviderResponse (the body kept for the client). */
export function responseOf(t: ProviderTarget, body: Record<string, unknown>): ProviderResponse {
  const choice = (body.choices as Array<{ message?: { content?: unknown }; finish_reason?: string }> | undefined)?.[0];
  const u = body.usage as { prompt_tokens?: number; completion_tokens?: number } | undefined;
  const out: ProviderResponse = {
    id: String(body.id ?? ''),
    provider: t.name,
    model: String(body.model ?? ''),
    content: typeof choice?.message?.content === 'string' ? choice.message.content : '',
    body,
  };
  if (choice?.finish_reason) out.finishReason = choice.finish_reason;
  if (u && typeof u.prompt_tokens === 'number') out.usage = { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens ?? 0 };
  return out;
}

/**
 * The upstream's SSE body as chunk objects. Not a generator: return() must cancel at once, even
 * while a read waits on the socket (a generator would queue it behind that read).
 */
function chunksOf(t: ProviderTarget, body: Dispatcher.ResponseData['body']): AsyncIterable<ChatChunk> {
  const events = readSse(body);
  let done = false;
  const it: AsyncIterator<ChatChunk> = {
    async next() {
      while (!done) {
        let r: IteratorResult<{ data: string }>;
        try {
          r = await events.next();
        } catch (err) {
          done = true;
          throw Object.assign(new Error(`${t.name}: the stream broke off: ${(err as Error).message}`), { code: 'PLW_STREAM_CUT' });
        }
        if (r.done) {
          done = true;
          throw Object.assign(new Error(`${t.name}: the stream ended without [DONE]`), { code: 'PLW_STREAM_CUT' });
        }
        const data = r.value.data;
        if (data === '[DONE]') {
          done = true;
          body.destroy();
          break;
        }
        let chunk: ChatChunk;
        try {
          chunk = JSON.parse(data) as ChatChunk;
        } catch {
          continue; // a keep-alive or a line that is not JSON
        }
        if (chunk.error) {
          done = true;
          body.destroy();
          throw Object.assign(new Error(`${t.name}: error in the stream: ${JSON.stringify(chunk.error)}`), { code: 'PLW_STREAM_CUT' });
        }
        return { done: false, value: chunk };
      }
      return { done: true, value: undefined };
    },
    async return() {
      done = true;
      body.destroy();
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => it };
}

const plugin: ProviderPlugin<OpenAiCompatibleConfig> = {
  models(ctx) {
    return ctx.config.models ?? [];
  },

  async complete(req, ctx) {
    const t = targetOf(req, ctx);
    const res = await post(t, '/chat/completions', bodyOf(req, false), ctx);
    if (isProviderFailure(res)) return res;
    if (res.statusCode >= 400) return failed(t, res);
    const body = await readJson(t, res);
    if (isProviderFailure(body)) return body;
    return responseOf(t, body.json);
  },

  async stream(req, ctx) {
    const t = targetOf(req, ctx);
    const res = await post(t, '/chat/completions', bodyOf(req, true), ctx);
    if (isProviderFailure(res)) return res;
    if (res.statusCode >= 400) return failed(t, res);
    const type = String(res.headers['content-type'] ?? '');
    if (!type.includes('text/event-stream')) {
      // An upstream that ignored stream: true answered with one JSON object.
      const body = await readJson(t, res);
      if (isProviderFailure(body)) return body;
      return single(responseOf(t, body.json));
    }
    return chunksOf(t, res.body);
  },

  async embed(req: EmbeddingRequest, ctx): Promise<EmbeddingResponse | ProviderFailure> {
    const t = targetOf(req, ctx);
    const res = await post(t, '/embeddings', { ...(req.body ?? {}), model: req.model, input: req.input }, ctx);
    if (isProviderFailure(res)) return res;
    if (res.statusCode >= 400) return failed(t, res);
    const got = await readJson(t, res);
    if (isProviderFailure(got)) return got;
    const body = got.json;
    const u = body.usage as { prompt_tokens?: number } | undefined;
    return { body, ...(typeof u?.prompt_tokens === 'number' ? { usage: { promptTokens: u.prompt_tokens, completionTokens: 0 } } : {}) };
  },

  async stop() {
    const all = [...agents.values()];
    agents.clear();
    await Promise.all(all.map((a) => a.close().catch(() => undefined)));
  },
};

/** A whole answer as the chunks a stream would have carried (content, finish, usage). */
function single(r: ProviderResponse): AsyncIterable<ChatChunk> {
  const base = { id: r.id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: r.model };
  const chunks: ChatChunk[] = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: r.content }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: r.finishReason ?? 'stop' }] },
  ];
  if (r.usage)
    chunks.push({ ...base, choices: [], usage: { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens, total_tokens: r.usage.promptTokens + r.usage.completionTokens } });
  return (async function* () {
    yield* chunks;
  })();
}

export default plugin;

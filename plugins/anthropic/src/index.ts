// anthropic: plugway's built-in provider for Anthropic's Messages API, written only against
// plugway/sdk. The llm-gateway speaks OpenAI's format; translate.ts converts both ways.
import { Agent, request, type Dispatcher } from 'undici';
import {
  httpFailure,
  isProviderFailure,
  readSse,
  transportFailure,
  type ChatChunk,
  type PluginContext,
  type ProviderFailure,
  type ProviderPlugin,
  type ProviderRequest,
  type ProviderResponse,
  type ProviderTarget,
} from 'plugway/sdk';
import { StreamTranslator, toAnthropicRequest, toOpenAiResponse } from './translate.js';

export interface AnthropicConfig {
  base_url?: string;
  api_key?: string;
  models?: string[];
  timeout?: string | number;
  anthropic_version?: string;
  max_tokens?: number;
}
type Ctx = PluginContext<AnthropicConfig>;

function durationMs(v: string | number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(v.trim());
  return m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'] : fallback;
}

const agents = new Map<number, Agent>();
function agentFor(timeoutMs: number): Agent {
  let a = agents.get(timeoutMs);
  if (!a) agents.set(timeoutMs, (a = new Agent({ connect: { timeout: Math.min(timeoutMs, 10_000) }, keepAliveTimeout: 30_000, connections: 256 })));
  return a;
}

function targetOf(req: ProviderRequest, ctx: Ctx): ProviderTarget {
  if (req.target) return req.target;
  const c = ctx.config;
  return { name: ctx.pluginId, type: ctx.pluginId, baseUrl: c.base_url, apiKey: c.api_key, models: c.models ?? [], timeoutMs: durationMs(c.timeout, 60_000), options: {} };
}

function bodyFor(req: ProviderRequest, t: ProviderTarget, ctx: Ctx, stream: boolean): Record<string, unknown> {
  const openai = req.body ?? {
    messages: req.messages,
    ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
  };
  const maxTokens = Number(t.options.max_tokens ?? ctx.config.max_tokens ?? 1024);
  return toAnthropicRequest(openai, req.model, maxTokens, stream);
}

async function post(t: ProviderTarget, body: unknown, ctx: Ctx): Promise<Dispatcher.ResponseData | ProviderFailure> {
  if (!t.baseUrl && !ctx.config.base_url) return { error: { type: 'connect', message: `provider ${t.name}: base_url is not set` } };
  const base = (t.baseUrl ?? ctx.config.base_url ?? '').replace(/\/+$/, '');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': String(t.options.anthropic_version ?? ctx.config.anthropic_version ?? '2023-06-01'),
  };
  if (t.apiKey) headers['x-api-key'] = t.apiKey;
  try {
    return await request(`${base}/messages`, {
      method: 'POST',
      headers,
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
  const f = httpFailure(t.name, res.statusCode, res.headers, await res.body.text().catch(() => ''));
  // Anthropic's error body is { type: "error", error: { type, message } }: the message is read the same way.
  return f;
}

/** Anthropic's event stream as OpenAI chunks; return() cancels at once (see openai-compatible). */
function chunksOf(t: ProviderTarget, model: string, body: Dispatcher.ResponseData['body']): AsyncIterable<ChatChunk> {
  const events = readSse(body);
  const tr = new StreamTranslator(model);
  const pending: ChatChunk[] = [];
  let done = false;
  const cut = (why: string) => Object.assign(new Error(`${t.name}: ${why}`), { code: 'PLW_STREAM_CUT' });
  const it: AsyncIterator<ChatChunk> = {
    async next() {
      while (pending.length === 0 && !done) {
        let r: IteratorResult<{ event?: string; data: string }>;
        try {
          r = await events.next();
        } catch (err) {
          done = true;
          throw cut(`the stream broke off: ${(err as Error).message}`);
        }
        if (r.done) {
          done = true;
          if (!tr.done) throw cut('the stream ended before message_stop');
          break;
        }
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(r.value.data) as Record<string, unknown>;
        } catch {
          continue;
        }
        try {
          pending.push(...tr.translate(r.value.event, data));
        } catch (err) {
          done = true;
          body.destroy();
          throw err;
        }
        if (tr.done) {
          done = true;
          body.destroy();
        }
      }
      const value = pending.shift();
      return value ? { done: false, value } : { done: true, value: undefined };
    },
    async return() {
      done = true;
      pending.length = 0;
      body.destroy();
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => it };
}

const plugin: ProviderPlugin<AnthropicConfig> = {
  models(ctx) {
    return ctx.config.models ?? [];
  },

  async complete(req, ctx) {
    const t = targetOf(req, ctx);
    const res = await post(t, bodyFor(req, t, ctx, false), ctx);
    if (isProviderFailure(res)) return res;
    if (res.statusCode >= 400) return failed(t, res);
    let msg: Record<string, unknown>;
    try {
      msg = (await res.body.json()) as Record<string, unknown>;
    } catch (err) {
      return { error: { type: 'invalid', message: `${t.name}: the answer is not JSON: ${(err as Error).message}` } };
    }
    const body = toOpenAiResponse(msg);
    const usage = body.usage as { prompt_tokens: number; completion_tokens: number };
    const out: ProviderResponse = {
      id: String(body.id),
      provider: t.name,
      model: String(body.model),
      content: String((body.choices as Array<{ message: { content: string } }>)[0]!.message.content),
      body,
      usage: { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens },
    };
    return out;
  },

  async stream(req, ctx) {
    const t = targetOf(req, ctx);
    const res = await post(t, bodyFor(req, t, ctx, true), ctx);
    if (isProviderFailure(res)) return res;
    if (res.statusCode >= 400) return failed(t, res);
    return chunksOf(t, req.model, res.body);
  },

  async stop() {
    const all = [...agents.values()];
    agents.clear();
    await Promise.all(all.map((a) => a.close().catch(() => undefined)));
  },
};

export default plugin;

// llm-gateway: plugway's built-in OpenAI-compatible LLM gateway, written only against plugway/sdk.
// POST /v1/chat/completions (streamed or not), POST /v1/embeddings, GET /v1/models over the
// providers configured in plugins.configs.llm-gateway.config (docs/llm-gateway.md).
import { createHash } from 'node:crypto';
import type { ChatChunk, HandlerPlugin, PluginContext, PluginRequest, PluginResponse, ProviderResponse, TokenUsage } from 'plugway/sdk';
import { decide, MemoryBudgetStore, RedisBudgetStore, type BudgetStore } from './budget.js';
import { cacheKeyOf, MemoryCache, RedisCache, type AnswerCache } from './cache.js';
import { settingsOf, type Budget, type LlmGatewayConfig, type Settings } from './config.js';
import { Failover, type CallInfo, type Lost, type OpenedStream, type Won } from './failover.js';
import { ProviderState } from './provider-state.js';
import { errorReply } from './replies.js';
import { clientStream, type StreamEnd } from './stream.js';
import { Telemetry } from './telemetry.js';
import { costOf, estimated, usageOf } from './usage.js';

type Ctx = PluginContext<LlmGatewayConfig>;

interface Running {
  settings: Settings;
  failover: Failover;
  telemetry: Telemetry;
  budgets?: BudgetStore;
  cache?: AnswerCache;
}

function header(req: PluginRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The API key presented: Authorization: Bearer <key>, or x-api-key (Anthropic clients). */
function apiKeyOf(req: PluginRequest): string | undefined {
  const auth = header(req, 'authorization');
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1] ?? header(req, 'x-api-key');
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

export default function create(): HandlerPlugin<LlmGatewayConfig> {
  let run: Running | undefined;

  /** Who a request is charged to: the authenticated user, the user its key names, the key, or nobody. */
  function who(req: PluginRequest, r: Running): { subject: string; userId?: string; budget?: Budget } | PluginResponse {
    const key = apiKeyOf(req);
    const entry = key !== undefined ? r.settings.keys.get(key) : undefined;
    if (r.settings.keys.size > 0 && !entry)
      return errorReply(401, 'PLW_ERR_LLM_UNAUTHENTICATED', 'The LLM gateway needs one of its API keys: send Authorization: Bearer <key>', req.id, {
        'www-authenticate': 'Bearer realm="plugway-llm"',
      });
    const userId = req.userId ?? entry?.user;
    const subject = userId !== undefined ? `user:${userId}` : key !== undefined ? `key:${digest(key)}` : 'anonymous';
    const budget = entry?.budget ?? r.settings.budget;
    return { subject, ...(userId !== undefined ? { userId } : {}), ...(budget ? { budget } : {}) };
  }

  async function charge(r: Running, subject: string, budget: Budget | undefined, usage: TokenUsage, cost: number, ctx: Ctx): Promise<void> {
    if (!budget || !r.budgets) return;
    try {
      await r.budgets.charge(subject, budget, usage.promptTokens + usage.completionTokens, cost, Date.now());
    } catch (err) {
      ctx.logger.warn({ subject, err: { message: (err as Error).message } }, 'budget store failed; usage not charged');
    }
  }

  function headersOf(won: { state: ProviderState; fallbacks: string[] }): Record<string, string> {
    const h: Record<string, string> = { 'x-plugway-provider': won.state.name };
    if (won.fallbacks.length) h['x-plugway-fallbacks'] = won.fallbacks.join(', ');
    return h;
  }

  function lostReply(l: Lost, requestId: string): PluginResponse {
    const headers = { ...l.headers };
    if (l.provider) headers['x-plugway-provider'] = l.provider;
    if (l.fallbacks.length) headers['x-plugway-fallbacks'] = l.fallbacks.join(', ');
    // A client error from the upstream (a 400 on its parameters) is passed on as the upstream wrote it.
    if (l.upstreamBody !== undefined && l.status < 500 && typeof l.upstreamBody === 'object') return { statusCode: l.status, headers, body: l.upstreamBody };
    return errorReply(l.status, l.code, l.message, requestId, headers);
  }

  async function chat(req: PluginRequest, body: Record<string, unknown>, r: Running, ctx: Ctx): Promise<PluginResponse> {
    const id = who(req, r);
    if ('statusCode' in id) return id;
    const model = body.model as string;
    const stream = body.stream === true;
    const call: CallInfo = { requestId: req.id, model, ...(id.userId ? { userId: id.userId } : {}), stream, body };
    if (id.budget && r.budgets) {
      let d;
      try {
        d = await decide(r.budgets, id.subject, id.budget, Date.now());
      } catch (err) {
        ctx.logger.warn({ subject: id.subject, err: { message: (err as Error).message } }, 'budget store unreachable; request let through');
      }
      if (d && !d.allowed) {
        const limit = d.resource === 'cost' ? `$${d.limit}` : `${d.limit} tokens`;
        const message = `The ${d.resource} budget of ${id.subject} (${limit} per ${id.budget.period}) is spent; retry in ${d.retryAfterSec} s`;
        await r.telemetry.error({ requestId: req.id, model, ...(id.userId ? { userId: id.userId } : {}), errorType: 'budget_exceeded', status: 429, message });
        return errorReply(429, 'PLW_ERR_LLM_BUDGET_EXCEEDED', message, req.id, { 'retry-after': String(d.retryAfterSec) });
      }
    }
    const cacheKey = r.cache && !stream ? cacheKeyOf(body) : undefined;
    if (cacheKey) {
      const hit = await r.cache!.get(cacheKey).catch(() => undefined);
      if (hit) {
        const u = usageOf(hit.body) ?? { promptTokens: 0, completionTokens: 0 };
        await r.telemetry.response({
          requestId: req.id,
          provider: hit.provider,
          model,
          ...(id.userId ? { userId: id.userId } : {}),
          stream: false,
          durationMs: 0,
          tokensUsed: 0,
          promptTokens: 0,
          completionTokens: 0,
          cost: 0,
          estimated: u.estimated === true,
          cached: true,
        });
        return { statusCode: 200, headers: { 'x-plugway-provider': hit.provider, 'x-plugway-cache': 'hit' }, body: hit.body };
      }
    }
    if (stream) {
      const won = await r.failover.run<OpenedStream>('stream', call);
      if (!won.ok) return lostReply(won, req.id);
      const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      const s = won.state;
      const events = clientStream(won.value, {
        messages: body.messages,
        includeUsage,
        provider: s.name,
        onEnd: (end: StreamEnd) => void finishStream(r, ctx, won, call, id, end),
      });
      return { statusCode: 200, headers: { ...headersOf(won), 'content-type': 'text/event-stream; charset=utf-8' }, body: events };
    }
    const won = await r.failover.run<ProviderResponse>('complete', call);
    if (!won.ok) return lostReply(won, req.id);
    const out = completionBody(won.value, model);
    const usage = won.value.usage ?? usageOf(out) ?? estimated(body.messages, won.value.content);
    out.usage = {
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      total_tokens: usage.promptTokens + usage.completionTokens,
      ...(usage.estimated ? { estimated: true } : {}),
    };
    const cost = costOf(won.state.entry, usage);
    won.state.end();
    won.state.succeeded();
    r.telemetry.call(won.state.name, model, 200);
    await charge(r, id.subject, id.budget, usage, cost, ctx);
    await r.telemetry.response({
      requestId: req.id,
      provider: won.state.name,
      model,
      ...(id.userId ? { userId: id.userId } : {}),
      stream: false,
      durationMs: performance.now() - won.startedAt,
      tokensUsed: usage.promptTokens + usage.completionTokens,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cost,
      estimated: usage.estimated === true,
      cached: false,
    });
    if (cacheKey) await r.cache!.set(cacheKey, { provider: won.state.name, body: out }).catch(() => undefined);
    return { statusCode: 200, headers: headersOf(won), body: out };
  }

  async function finishStream(r: Running, ctx: Ctx, won: Won<OpenedStream>, call: CallInfo, id: { subject: string; userId?: string; budget?: Budget }, end: StreamEnd): Promise<void> {
    const s = won.state;
    s.end();
    const usage = end.usage;
    const cost = costOf(s.entry, usage);
    const base = { requestId: call.requestId, provider: s.name, model: call.model, ...(id.userId ? { userId: id.userId } : {}) };
    if (end.kind === 'done') {
      s.succeeded();
      r.telemetry.call(s.name, call.model, 200);
    } else if (end.kind === 'cut') {
      s.failed(Date.now(), undefined);
      r.telemetry.call(s.name, call.model, 'cut');
      ctx.logger.warn({ provider: s.name, request_id: call.requestId, err: { message: end.message } }, `provider ${s.name} cut the stream after it started`);
      await r.telemetry.error({ ...base, errorType: 'stream_cut', message: end.message });
    } else {
      s.neutral();
      r.telemetry.call(s.name, call.model, 'client_closed');
    }
    // What was delivered is charged, a cut or abandoned stream too (estimated when the usage chunk never came).
    await charge(r, id.subject, id.budget, usage, cost, ctx);
    await r.telemetry.response({
      ...base,
      stream: true,
      durationMs: performance.now() - won.startedAt,
      ttftMs: won.ttftMs,
      tokensUsed: usage.promptTokens + usage.completionTokens,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cost,
      estimated: usage.estimated === true,
      cached: false,
    });
  }

  async function embeddings(req: PluginRequest, body: Record<string, unknown>, r: Running, ctx: Ctx): Promise<PluginResponse> {
    const id = who(req, r);
    if ('statusCode' in id) return id;
    const model = body.model as string;
    const call: CallInfo = { requestId: req.id, model, ...(id.userId ? { userId: id.userId } : {}), stream: false, body };
    if (id.budget && r.budgets) {
      const d = await decide(r.budgets, id.subject, id.budget, Date.now()).catch(() => undefined);
      if (d && !d.allowed)
        return errorReply(429, 'PLW_ERR_LLM_BUDGET_EXCEEDED', `The ${d.resource} budget of ${id.subject} is spent; retry in ${d.retryAfterSec} s`, req.id, { 'retry-after': String(d.retryAfterSec) });
    }
    const won = await r.failover.run<{ body: Record<string, unknown>; usage?: TokenUsage }>('embed', call);
    if (!won.ok) return lostReply(won, req.id);
    won.state.end();
    won.state.succeeded();
    const usage = won.value.usage ?? { promptTokens: 0, completionTokens: 0 };
    const cost = costOf(won.state.entry, usage);
    r.telemetry.call(won.state.name, model, 200);
    await charge(r, id.subject, id.budget, usage, cost, ctx);
    await r.telemetry.response({
      requestId: req.id,
      provider: won.state.name,
      model,
      ...(id.userId ? { userId: id.userId } : {}),
      stream: false,
      durationMs: performance.now() - won.startedAt,
      tokensUsed: usage.promptTokens,
      promptTokens: usage.promptTokens,
      completionTokens: 0,
      cost,
      estimated: false,
      cached: false,
    });
    return { statusCode: 200, headers: headersOf(won), body: won.value.body };
  }

  function models(r: Running | undefined): PluginResponse {
    const seen = new Map<string, string[]>();
    for (const p of r?.settings.providers ?? []) for (const m of p.target.models) seen.set(m, [...(seen.get(m) ?? []), p.target.name]);
    return { statusCode: 200, body: { object: 'list', data: [...seen].map(([id, providers]) => ({ id, object: 'model', created: 0, owned_by: 'plugway', providers })) } };
  }

  return {
    async init(ctx) {
      const settings = settingsOf(ctx.config);
      if (settings.providers.length === 0) {
        ctx.logger.info('llm-gateway: no providers configured; its /v1 routes answer 503 until providers are set under plugins.configs.llm-gateway.config (docs/llm-gateway.md)');
        return;
      }
      if (!ctx.plugins) throw new Error('llm-gateway needs the in-process runtime (ctx.plugins reaches the provider and router plugins)');
      const telemetry = new Telemetry(ctx as PluginContext);
      const states = settings.providers.map((p) => new ProviderState(p, settings.breaker));
      run = { settings, telemetry, failover: new Failover(ctx as PluginContext, settings, states, telemetry) };
      const budgeted = settings.budget || [...settings.keys.values()].some((k) => k.budget);
      if (budgeted) run.budgets = settings.budgetStore.type === 'redis' ? await RedisBudgetStore.connect(settings.budgetStore.redisUrl, settings.budgetStore.keyPrefix) : new MemoryBudgetStore();
      if (settings.cache)
        run.cache =
          settings.cache.store === 'redis'
            ? await RedisCache.connect(settings.cache.redisUrl, settings.cache.keyPrefix, settings.cache.ttlMs)
            : new MemoryCache(settings.cache.ttlMs, settings.cache.maxEntries);
    },

    async stop() {
      await run?.budgets?.close();
      await run?.cache?.close();
      run = undefined;
    },

    healthCheck(ctx) {
      if (!run) return { status: 'healthy', message: 'not configured (no providers)' };
      const now = Date.now();
      const missing = run.settings.providers.filter((p) => !ctx.plugins?.get(p.target.type)).map((p) => `${p.target.name} (${p.target.type})`);
      const open = run.failover.states.filter((s) => s.circuit(now) === 'open').map((s) => s.name);
      const details = {
        providers: run.failover.states.map((s) => ({
          name: s.name,
          type: s.entry.target.type,
          circuit: s.circuit(now),
          in_flight: s.inFlight,
          ttft_ms: s.ttftMs ?? null,
          cooling_down: now < s.cooldownUntil,
        })),
      };
      if (missing.length === run.settings.providers.length) return { status: 'degraded', message: `no provider plugin is running for ${missing.join(', ')}`, details };
      if (open.length || missing.length)
        return {
          status: 'degraded',
          message: [open.length ? `circuit open: ${open.join(', ')}` : '', missing.length ? `plugin not running: ${missing.join(', ')}` : ''].filter(Boolean).join('; '),
          details,
        };
      return { status: 'healthy', details };
    },

    async handleRequest(req, ctx) {
      const path = req.path;
      if (req.method === 'GET' && path.endsWith('/v1/models')) return models(run);
      if (!run)
        return errorReply(503, 'PLW_ERR_LLM_NOT_CONFIGURED', 'The LLM gateway has no providers; add plugins.configs.llm-gateway.config.providers to plugway.yaml (docs/llm-gateway.md)', req.id, {
          'retry-after': '60',
        });
      const body = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array)
        return errorReply(400, 'PLW_ERR_LLM_BAD_REQUEST', 'Bad LLM request: send a JSON object (content-type: application/json)', req.id);
      const b = body as Record<string, unknown>;
      if (typeof b.model !== 'string' || !b.model) return errorReply(400, 'PLW_ERR_LLM_BAD_REQUEST', 'Bad LLM request: "model" must be a non-empty string', req.id);
      if (path.endsWith('/v1/embeddings')) {
        if (typeof b.input !== 'string' && !Array.isArray(b.input)) return errorReply(400, 'PLW_ERR_LLM_BAD_REQUEST', 'Bad LLM request: "input" must be a string or an array', req.id);
        return embeddings(req, b, run, ctx);
      }
      if (!Array.isArray(b.messages) || b.messages.length === 0) return errorReply(400, 'PLW_ERR_LLM_BAD_REQUEST', 'Bad LLM request: "messages" must be a non-empty array', req.id);
      return chat(req, b, run, ctx);
    },
  };
}

/** The OpenAI chat.completion to send: the provider's own body, or one built from its answer. */
function completionBody(r: ProviderResponse, model: string): Record<string, unknown> {
  if (r.body && typeof r.body === 'object') return { ...r.body };
  return {
    id: r.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: r.model || model,
    choices: [{ index: 0, message: { role: 'assistant', content: r.content }, finish_reason: r.finishReason ?? 'stop' }],
  };
}

export type { ChatChunk };

// One request's way over the providers: the routers (or the default, priority) pick among the
// providers that serve the model and are neither tried, cooling down nor open; a fallback_on
// failure moves to the next (on_provider_switch), anything else is the answer. Bounded by
// router.retries and router.deadline; a stream is committed once its first chunk is read.
import type { ChatChunk, PluginContext, PluginRef, ProviderCandidate, ProviderErrorInfo, ProviderRequest } from 'plugway/sdk';
import { triggerOf, type Settings } from './config.js';
import type { ProviderState } from './provider-state.js';
import type { Telemetry } from './telemetry.js';

export type CallKind = 'complete' | 'stream' | 'embed';

export interface CallInfo {
  requestId: string;
  model: string;
  userId?: string;
  stream: boolean;
  body: Record<string, unknown>;
}

export interface Won<T> {
  ok: true;
  state: ProviderState;
  value: T;
  /** Providers that failed before this one, in order. */
  fallbacks: string[];
  /** When the successful call started (performance.now()) and how long to its first byte, ms. */
  startedAt: number;
  ttftMs: number;
}

export interface Lost {
  ok: false;
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
  /** The upstream's own error body, passed on for a failure that is not a fallback trigger (a 400). */
  upstreamBody?: unknown;
  fallbacks: string[];
  errorType: string;
  provider?: string;
}

/** A stream whose first chunk has been read: the caller sends it, then the rest. */
export interface OpenedStream {
  first: ChatChunk;
  rest: AsyncIterator<ChatChunk>;
}

const ERROR_TYPES: Record<string, string> = { timeout: 'timeout', connect: 'connect', cut: 'stream_cut', invalid: 'invalid_response' };

export function errorTypeOf(e: ProviderErrorInfo): string {
  if (e.type !== 'http') return ERROR_TYPES[e.type] ?? e.type;
  if (e.status === 429) return 'rate_limited';
  return (e.status ?? 500) >= 500 ? 'server_error' : 'client_error';
}

function isFailure(x: unknown): x is { error: ProviderErrorInfo } {
  return x !== null && typeof x === 'object' && 'error' in x && typeof (x as { error?: { type?: unknown } }).error?.type === 'string';
}

/** A thrown error from the call itself (the runtime's deadline, a plugin that threw) as failure data. */
function thrownInfo(err: unknown): ProviderErrorInfo {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? '';
  if (code === 'PLW_ERR_PLUGIN_TIMEOUT' || code === 'PLW_ERR_CALL_ABORTED' || code === 'LLM_FIRST_CHUNK_TIMEOUT') return { type: 'timeout', message: e.message ?? 'timed out' };
  if (code === 'PLW_STREAM_CUT' || e?.cause?.code === 'PLW_STREAM_CUT') return { type: 'cut', message: e.cause?.message ?? e.message ?? 'stream cut' };
  return { type: 'invalid', message: e?.message ?? String(err) };
}

export class Failover {
  private readonly warned = new Set<string>();

  constructor(
    private readonly ctx: PluginContext,
    private readonly settings: Settings,
    readonly states: ProviderState[],
    private readonly telemetry: Telemetry,
  ) {}

  /** The provider plugin behind an entry, if running (a missing one is logged once). */
  private pluginOf(s: ProviderState): PluginRef | undefined {
    const ref = this.ctx.plugins?.get(s.entry.target.type);
    if (!ref && !this.warned.has(s.entry.target.type)) {
      this.warned.add(s.entry.target.type);
      this.ctx.logger.warn({ provider: s.name, type: s.entry.target.type }, `provider ${s.name}: no running provider plugin "${s.entry.target.type}"; it is skipped`);
    }
    return ref;
  }

  /** The routers in priority order; the first that can route picks. Undefined: none did. */
  private async routerPick(req: ProviderRequest, cands: ProviderCandidate[]): Promise<string | undefined> {
    const plugins = this.ctx.plugins;
    if (!plugins) return undefined;
    const ids = new Set(cands.map((c) => c.id));
    for (const router of plugins.list('router')) {
      try {
        if (router.implements('canRoute') && !(await plugins.call<boolean>(router.id, 'canRoute', [req]))) continue;
        const id = await plugins.call<unknown>(router.id, 'selectProvider', [req, cands]);
        if (typeof id === 'string' && ids.has(id)) return id;
        if (id !== undefined && id !== null && id !== '') this.ctx.logger.warn({ router: router.id, chosen: id }, `router ${router.id} chose ${JSON.stringify(id)}, not a candidate; asking the next`);
      } catch (err) {
        this.ctx.logger.warn({ router: router.id, err: { message: (err as Error)?.message } }, `router ${router.id} failed; asking the next`);
      }
    }
    return undefined;
  }

  private async choose(req: ProviderRequest, states: ProviderState[], now: number): Promise<ProviderState> {
    if (states.length === 1) return states[0]!;
    const cands = states.map((s) => s.candidate(now));
    const id = await this.routerPick(req, cands);
    if (id !== undefined) return states.find((s) => s.name === id)!;
    // The default strategy: priority, then list order.
    return [...states].sort((a, b) => b.entry.priority - a.entry.priority || a.entry.order - b.entry.order)[0]!;
  }

  async run<T>(kind: CallKind, call: CallInfo): Promise<Won<T> | Lost> {
    const deadline = Date.now() + this.settings.deadlineMs;
    const tried = new Set<string>();
    const fallbacks: string[] = [];
    let last: { state: ProviderState; info: ProviderErrorInfo; trigger: string } | undefined;
    const serving = this.states.filter((s) => s.serves(call.model));
    if (serving.length === 0) return this.lost(404, 'PLW_ERR_LLM_MODEL_NOT_FOUND', `No configured provider serves model ${call.model}; GET /v1/models lists them`, fallbacks, 'no_provider');
    const method = kind === 'embed' ? 'embed' : kind === 'stream' ? 'stream' : 'complete';
    for (let attempt = 0; attempt <= this.settings.retries; attempt++) {
      const now = Date.now();
      if (now >= deadline) break;
      const usable = serving.filter((s) => {
        if (tried.has(s.name) || s.unavailable(now)) return false;
        const p = this.pluginOf(s);
        return p !== undefined && (method !== 'embed' || p.implements('embed'));
      });
      if (usable.length === 0) break;
      const req: ProviderRequest = {
        model: call.model,
        messages: (call.body.messages ?? []) as ProviderRequest['messages'],
        stream: call.stream,
        body: call.body,
        strategy: this.settings.strategy,
        requestId: call.requestId,
      };
      const state = await this.choose(req, usable, now);
      if (last) await this.telemetry.providerSwitch({ requestId: call.requestId, model: call.model, from: last.state.name, to: state.name, reason: last.trigger });
      tried.add(state.name);
      req.target = state.entry.target;
      await this.telemetry.request({
        requestId: call.requestId,
        provider: state.name,
        model: call.model,
        ...(call.userId ? { userId: call.userId } : {}),
        stream: call.stream,
        startTime: new Date().toISOString(),
      });
      const timeoutMs = Math.max(1, Math.min(state.entry.target.timeoutMs, deadline - Date.now()));
      const t0 = performance.now();
      state.begin(Date.now());
      let value: unknown;
      try {
        value = await this.invoke(state, method, req, timeoutMs);
      } catch (err) {
        value = { error: thrownInfo(err) };
      }
      if (!isFailure(value)) {
        const ttftMs = performance.now() - t0;
        state.observeTtft(ttftMs);
        this.telemetry.firstToken(state.name, call.model, ttftMs / 1000);
        // state.end() is the caller's, once the answer (a stream: its last chunk) is through.
        return { ok: true, state, value: value as T, fallbacks, startedAt: t0, ttftMs };
      }
      state.end();
      const info = value.error;
      const trigger = triggerOf(this.settings.fallbackOn, info.type, info.status);
      this.telemetry.call(state.name, call.model, info.status ?? info.type);
      await this.telemetry.error({
        requestId: call.requestId,
        provider: state.name,
        model: call.model,
        ...(call.userId ? { userId: call.userId } : {}),
        errorType: errorTypeOf(info),
        ...(info.status !== undefined ? { status: info.status } : {}),
        message: info.message,
      });
      if (!trigger) {
        state.neutral();
        return this.passOn(state, info, fallbacks);
      }
      const cooldown = info.retryAfterSec !== undefined ? info.retryAfterSec * 1000 : info.status === 429 ? this.settings.cooldownMs : undefined;
      state.failed(Date.now(), cooldown);
      this.ctx.logger.warn({ provider: state.name, request_id: call.requestId, reason: trigger, err: { message: info.message } }, `provider ${state.name} failed (${trigger})`);
      fallbacks.push(state.name);
      last = { state, info, trigger };
    }
    if (last) return this.finalFailure(last.state, last.info, fallbacks, Date.now() >= deadline);
    // Every provider serving the model is cooling down or has an open circuit.
    const now = Date.now();
    const waits = serving.map((s) => Math.max(s.cooldownUntil, s.openUntil) - now).filter((ms) => ms > 0);
    const retryAfter = Math.max(1, Math.ceil(Math.min(...(waits.length ? waits : [1000])) / 1000));
    return this.lost(
      503,
      'PLW_ERR_LLM_NO_PROVIDER',
      `No provider could answer for model ${call.model}: every provider serving it is cooling down, has an open circuit or is not running`,
      fallbacks,
      'no_provider',
      { 'retry-after': String(retryAfter) },
    );
  }

  private async invoke(state: ProviderState, method: string, req: ProviderRequest, timeoutMs: number): Promise<unknown> {
    const plugins = this.ctx.plugins!;
    const ref = plugins.get(state.entry.target.type)!;
    if (method === 'embed') {
      const body = req.body ?? {};
      return plugins.call(ref.id, 'embed', [{ model: req.model, input: body.input, target: req.target, body }], { timeoutMs });
    }
    // A stream from a plugin that can hand one over (in-process, with stream()); else one whole answer.
    if (method === 'stream' && ref.runtime === 'inprocess' && ref.implements('stream')) {
      const r = await plugins.call<unknown>(ref.id, 'stream', [req], { timeoutMs });
      if (isFailure(r)) return r;
      return openStream(r as AsyncIterable<ChatChunk>, timeoutMs);
    }
    return plugins.call(ref.id, 'complete', [{ ...req, stream: false }], { timeoutMs });
  }

  /** A failure that is not a trigger goes back to the client as the upstream said it (a 400 stays a 400). */
  private passOn(state: ProviderState, info: ProviderErrorInfo, fallbacks: string[]): Lost {
    const status = info.type === 'http' && info.status ? info.status : 502;
    const l = this.lost(status, 'PLW_ERR_LLM_PROVIDER_FAILED', `Provider ${state.name} failed: ${info.message}`, fallbacks, errorTypeOf(info), {}, state.name);
    if (info.body !== undefined) l.upstreamBody = info.body;
    return l;
  }

  private finalFailure(state: ProviderState, info: ProviderErrorInfo, fallbacks: string[], deadlinePassed: boolean): Lost {
    if (info.type === 'timeout' || deadlinePassed)
      return this.lost(
        504,
        'PLW_ERR_LLM_TIMEOUT',
        `Provider ${state.name} did not answer within ${state.entry.target.timeoutMs} ms${deadlinePassed ? ' (router.deadline reached)' : ''}`,
        fallbacks,
        'timeout',
        {},
        state.name,
      );
    if (info.status === 429) {
      const retry = Math.max(1, Math.ceil((state.cooldownUntil - Date.now()) / 1000));
      return this.lost(
        429,
        'PLW_ERR_LLM_NO_PROVIDER',
        `No provider could answer for model: the last one (${state.name}) is rate limited; retry in ${retry} s`,
        fallbacks,
        'rate_limited',
        { 'retry-after': String(retry) },
        state.name,
      );
    }
    return this.lost(502, 'PLW_ERR_LLM_PROVIDER_FAILED', `Provider ${state.name} failed: ${info.message}`, fallbacks, errorTypeOf(info), {}, state.name);
  }

  private lost(status: number, code: string, message: string, fallbacks: string[], errorType: string, headers: Record<string, string> = {}, provider?: string): Lost {
    return { ok: false, status, code, message, headers, fallbacks, errorType, ...(provider ? { provider } : {}) };
  }
}

/** Reads a stream's first chunk within the attempt's time: until then a failure can still fall back. */
async function openStream(iterable: AsyncIterable<ChatChunk>, timeoutMs: number): Promise<OpenedStream | { error: ProviderErrorInfo }> {
  const it = iterable[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no first chunk within ${timeoutMs} ms`), { code: 'LLM_FIRST_CHUNK_TIMEOUT' })), timeoutMs);
  });
  try {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done) return { error: { type: 'invalid', message: 'the stream ended before its first chunk' } };
    return { first: r.value, rest: it };
  } catch (err) {
    void Promise.resolve(it.return?.()).catch(() => undefined);
    return { error: thrownInfo(err) };
  } finally {
    clearTimeout(timer);
  }
}

// The llm-gateway's Prometheus series (plugway_llm_*) and the seed's four hooks, in one place.
import type { LlmErrorEvent, LlmProviderSwitchEvent, LlmRequestEvent, LlmResponseEvent, PluginContext, PluginLogger } from 'plugway/sdk';

type Labels = Record<string, string>;

export class Telemetry {
  private readonly requests?: { inc(l?: Labels, v?: number): void };
  private readonly tokens?: { inc(l?: Labels, v?: number): void };
  private readonly cost?: { inc(l?: Labels, v?: number): void };
  private readonly ttft?: { observe(l: Labels | undefined, v: number): void };
  private readonly switches?: { inc(l?: Labels, v?: number): void };
  private readonly hooks: PluginContext['hooks'];
  private readonly logger: PluginLogger;

  constructor(ctx: PluginContext) {
    this.hooks = ctx.hooks;
    this.logger = ctx.logger;
    const m = ctx.metrics;
    if (!m) return; // outside the in-process runtime: no series
    this.requests = m.counter({
      name: 'plugway_llm_requests_total',
      help: 'Calls to LLM providers by provider, model and outcome (HTTP status, or timeout, connect, cut)',
      labelNames: ['provider', 'model', 'status'],
    });
    this.tokens = m.counter({ name: 'plugway_llm_tokens_total', help: 'Tokens used by provider, model and type (prompt, completion)', labelNames: ['provider', 'model', 'type'] });
    this.cost = m.counter({ name: 'plugway_llm_cost_total', help: 'Cost in USD by provider and model, from the configured price per 1k tokens', labelNames: ['provider', 'model'] });
    this.ttft = m.histogram({
      name: 'plugway_llm_time_to_first_token_seconds',
      help: 'Time from the call to the first token (streamed) or to the answer (not streamed)',
      labelNames: ['provider', 'model'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.switches = m.counter({
      name: 'plugway_llm_provider_switches_total',
      help: 'Failovers from one provider to another by reason (429, 5xx, timeout, connect)',
      labelNames: ['from', 'to', 'reason'],
    });
  }

  private emit<N extends 'on_request' | 'on_response' | 'on_error' | 'on_provider_switch'>(name: N, payload: Parameters<NonNullable<PluginContext['hooks']>['emit']>[1]): Promise<void> {
    if (!this.hooks) return Promise.resolve();
    return this.hooks.emit(name, payload as never).catch((err: unknown) => this.logger.warn({ hook: name, err: { message: String((err as Error)?.message ?? err) } }, 'LLM hook failed'));
  }

  request(e: LlmRequestEvent): Promise<void> {
    return this.emit('on_request', e);
  }

  response(e: LlmResponseEvent): Promise<void> {
    this.tokens?.inc({ provider: e.provider, model: e.model, type: 'prompt' }, e.promptTokens);
    this.tokens?.inc({ provider: e.provider, model: e.model, type: 'completion' }, e.completionTokens);
    if (e.cost > 0) this.cost?.inc({ provider: e.provider, model: e.model }, e.cost);
    return this.emit('on_response', e);
  }

  error(e: LlmErrorEvent): Promise<void> {
    return this.emit('on_error', e);
  }

  providerSwitch(e: LlmProviderSwitchEvent): Promise<void> {
    this.switches?.inc({ from: e.from, to: e.to, reason: e.reason });
    return this.emit('on_provider_switch', e);
  }

  /** One call to a provider and how it ended. */
  call(provider: string, model: string, status: string | number): void {
    this.requests?.inc({ provider, model, status: String(status) });
  }

  firstToken(provider: string, model: string, seconds: number): void {
    this.ttft?.observe({ provider, model }, seconds);
  }
}

// The plugin object and its kinds. Every method is optional except what the kind needs;
// a plain object of this shape is a valid plugin, no import required.

import type { PluginContext } from './context.js';
import type { ProtocolPlugin } from './protocol.js';
import type { DiagnosticResult, DiagnoseOptions, DiagnosticTarget } from './diagnostics.js';
import type { ChatChunk, EmbeddingRequest, EmbeddingResponse, ProviderFailure, ProviderTarget } from './llm.js';
import type { DomainEvent, HealthStatus, PluginKind, PluginMetrics, PluginRequest, PluginResponse, Principal } from './types.js';

type Awaitable<T> = T | Promise<T>;

export interface PluginBase<Config = Record<string, unknown>> {
  init?(ctx: PluginContext<Config>): Awaitable<void>;
  start?(ctx: PluginContext<Config>): Awaitable<void>;
  stop?(ctx: PluginContext<Config>): Awaitable<void>;
  healthCheck?(ctx: PluginContext<Config>): Awaitable<HealthStatus>;
  handleRequest?(req: PluginRequest, ctx: PluginContext<Config>): Awaitable<PluginResponse>;
  handleEvent?(event: DomainEvent, ctx: PluginContext<Config>): Awaitable<void>;
  metrics?(ctx: PluginContext<Config>): Awaitable<Partial<PluginMetrics>>;
  execute?(action: string, params: Record<string, unknown>, ctx: PluginContext<Config>): Awaitable<unknown>;
  /**
   * The public API this plugin offers its dependents (`ctx.services.get(id)` in them).
   * A function is called once, after init.
   */
  exports?: unknown;
}

export interface HandlerPlugin<C = Record<string, unknown>> extends PluginBase<C> {
  handleRequest(req: PluginRequest, ctx: PluginContext<C>): Awaitable<PluginResponse>;
}

export interface MiddlewarePlugin<C = Record<string, unknown>> extends PluginBase<C> {
  /** Return nothing to continue, or a response to answer at once (short-circuit). */
  onRequest?(req: PluginRequest, ctx: PluginContext<C>): Awaitable<PluginResponse | void | undefined>;
  /**
   * Return a response to replace the one on its way out, or nothing to keep it. `res.headers` is
   * always an object (`{}` when nobody set one), so `{ ...res, headers: { ...res.headers, k: v } }` works.
   */
  onResponse?(req: PluginRequest, res: PluginResponse & { headers: NonNullable<PluginResponse['headers']> }, ctx: PluginContext<C>): Awaitable<PluginResponse | void | undefined>;
}

export interface AuthPlugin<C = Record<string, unknown>> extends PluginBase<C> {
  /** The caller, or null when the request carries no (valid) credentials. */
  authenticate(req: PluginRequest, ctx: PluginContext<C>): Awaitable<Principal | null>;
  /** Whether the principal may do `action` on `resource`. Defaults to role/permission checks when absent. */
  authorize?(principal: Principal, resource: string, action: string, ctx: PluginContext<C>): Awaitable<boolean>;
}

export interface StoragePlugin<C = Record<string, unknown>> extends PluginBase<C> {
  get(key: string, ctx: PluginContext<C>): Awaitable<unknown>;
  set(key: string, value: unknown, ttlMs: number | undefined, ctx: PluginContext<C>): Awaitable<void>;
  delete(key: string, ctx: PluginContext<C>): Awaitable<boolean>;
  exists(key: string, ctx: PluginContext<C>): Awaitable<boolean>;
}

/** An LLM-gateway style chat completion request (the GoLeapAI seed's provider plugins). */
export interface ProviderRequest {
  model: string;
  messages: Array<{ role: 'system' | 'user' | 'assistant' | 'tool'; content: string }>;
  maxTokens?: number;
  temperature?: number;
  stream?: boolean;
  preferredProvider?: string;
  /** The configured endpoint to call (llm-gateway's providers[] entry), when the plugin serves several. */
  target?: ProviderTarget;
  /** The OpenAI-format body as the client sent it (tools, top_p…), for providers that pass it on. */
  body?: Record<string, unknown>;
  /** The strategy the operator configured (llm-gateway's router.strategy), for router plugins. */
  strategy?: string;
  requestId?: string;
}

export interface ProviderResponse {
  id: string;
  provider: string;
  model: string;
  content: string;
  finishReason?: string;
  usage?: { promptTokens: number; completionTokens: number; estimated?: boolean };
  costUsd?: number;
  /** The answer as an OpenAI `chat.completion` object, when the provider has it (sent as is, usage filled in). */
  body?: Record<string, unknown>;
}

export interface ProviderPlugin<C = Record<string, unknown>> extends PluginBase<C> {
  /** Models this provider serves. */
  models(ctx: PluginContext<C>): Awaitable<string[]>;
  /** A failure may be returned as `{ error }` (status, Retry-After, timeout, connect) instead of thrown: it crosses every runtime. */
  complete(req: ProviderRequest, ctx: PluginContext<C>): Awaitable<ProviderResponse | ProviderFailure>;
  /**
   * Streams the answer as OpenAI chunk objects, the last carrying `usage`. Resolves once the
   * upstream accepted the request (or to `{ error }`), so the caller can still fall back; the
   * iterator's return() cancels the upstream call. In-process plugins only: an async iterable
   * cannot cross a thread, so the gateway calls complete() on the others and sends one chunk.
   */
  stream?(req: ProviderRequest, ctx: PluginContext<C>): Awaitable<AsyncIterable<ChatChunk> | ProviderFailure>;
  embed?(req: EmbeddingRequest, ctx: PluginContext<C>): Awaitable<EmbeddingResponse | ProviderFailure>;
}

/** A provider a router may pick, as the host sees it right now. */
export interface ProviderCandidate {
  id: string;
  models: string[];
  health: HealthStatus['status'] | 'unknown';
  meanLatencyMs?: number;
  errorRate?: number;
  /** llm-gateway's view of a configured endpoint: its plugin, weight, priority, list position. */
  type?: string;
  weight?: number;
  priority?: number;
  order?: number;
  /** EWMA of the time to first token (or to the answer, non-streamed), ms; absent before any answer. */
  ttftMs?: number;
  /** Calls in flight to it now. */
  inFlight?: number;
  /** USD per 1k tokens. */
  price?: { input: number; output: number };
}

export interface RouterPlugin<C = Record<string, unknown>> extends PluginBase<C> {
  /** Whether this router wants to decide for the request; absent means always. */
  canRoute?(req: ProviderRequest, ctx: PluginContext<C>): Awaitable<boolean>;
  /** The id of the chosen provider, or undefined to leave the choice to the host. */
  selectProvider(req: ProviderRequest, candidates: ProviderCandidate[], ctx: PluginContext<C>): Awaitable<string | undefined>;
}

export interface DiagnosticsPlugin<C = Record<string, unknown>> extends PluginBase<C> {
  /** Semver ranges of the server versions this plugin understands, e.g. [">=6"]. */
  supportedVersions: string[];
  connect(target: DiagnosticTarget, ctx: PluginContext<C>): Awaitable<void>;
  disconnect(ctx: PluginContext<C>): Awaitable<void>;
  diagnose(options: DiagnoseOptions, ctx: PluginContext<C>): Awaitable<DiagnosticResult>;
  getMetrics(ctx: PluginContext<C>): Awaitable<Record<string, number>>;
}

export interface ActionPlugin<C = Record<string, unknown>> extends PluginBase<C> {
  execute(action: string, params: Record<string, unknown>, ctx: PluginContext<C>): Awaitable<unknown>;
}

export interface PluginByKind<C = Record<string, unknown>> {
  handler: HandlerPlugin<C>;
  middleware: MiddlewarePlugin<C>;
  auth: AuthPlugin<C>;
  storage: StoragePlugin<C>;
  provider: ProviderPlugin<C>;
  router: RouterPlugin<C>;
  diagnostics: DiagnosticsPlugin<C>;
  action: ActionPlugin<C>;
  protocol: ProtocolPlugin<C>;
}

export type Plugin<C = Record<string, unknown>> = PluginBase<C> & Partial<MiddlewarePlugin<C>> & Partial<Omit<AuthPlugin<C>, keyof PluginBase<C>>> & Record<string, unknown>;

/** A module's default export may be a factory receiving the plugin's validated config. */
export type PluginFactory<C = Record<string, unknown>> = (options: C) => Awaitable<PluginBase<C>>;

/**
 * What each kind must implement: every name in `all`, and at least one in `anyOf`.
 * The loader and `plugway plugin validate` check it.
 */
export const KIND_REQUIREMENTS: Record<PluginKind, { all: string[]; anyOf?: string[] }> = {
  handler: { all: ['handleRequest'] },
  middleware: { all: [], anyOf: ['onRequest', 'onResponse'] },
  auth: { all: ['authenticate'] },
  storage: { all: ['get', 'set', 'delete', 'exists'] },
  provider: { all: ['models', 'complete'] },
  router: { all: ['selectProvider'] },
  diagnostics: { all: ['connect', 'disconnect', 'diagnose'] },
  action: { all: ['execute'] },
  protocol: { all: ['handle'] },
};

/** A handler whose endpoints are all WebSockets needs a message or open hook, not handleRequest. */
const WEBSOCKET_HANDLER = { all: [], anyOf: ['onMessage', 'on_message', 'onOpen', 'on_open'] };

/**
 * The names a plugin of `kind` lacks (empty when it satisfies its kind). `endpoints`, when given,
 * lets a handler that serves only WebSocket endpoints go without handleRequest.
 */
export function missingForKind(kind: PluginKind, plugin: object, endpoints?: ReadonlyArray<{ protocol?: string }>): string[] {
  return missingFor(kind, (name) => typeof (plugin as Record<string, unknown>)[name] === 'function', endpoints);
}

/** The names a plugin of `kind` lacks, given what it implements (any runtime's `implements`). */
export function missingFor(kind: PluginKind, has: (name: string) => boolean, endpoints?: ReadonlyArray<{ protocol?: string }>): string[] {
  const wsOnly = kind === 'handler' && !!endpoints?.length && endpoints.every((e) => e.protocol === 'websocket');
  const req = wsOnly ? WEBSOCKET_HANDLER : KIND_REQUIREMENTS[kind];
  const missing = req.all.filter((n) => !has(n));
  if (req.anyOf && !req.anyOf.some(has)) missing.push(`one of ${req.anyOf.join(', ')}`);
  return missing;
}

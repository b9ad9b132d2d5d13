// The LLM gateway's contract (the GoLeapAI seed): what the llm-gateway plugin hands provider and
// router plugins, what they answer, and the payloads of the seed's four LLM hooks. Plain data.

/**
 * One configured endpoint of a provider plugin (an entry of llm-gateway's `providers`): one
 * plugin serves several, e.g. two OpenAI-compatible endpoints.
 */
export interface ProviderTarget {
  /** The entry's `name`, unique among providers (what x-plugway-provider says). */
  name: string;
  /** The provider plugin's id (the entry's `type`). */
  type: string;
  baseUrl?: string;
  apiKey?: string;
  models: string[];
  /** Deadline of one call (connect to last byte), ms. */
  timeoutMs: number;
  /** Everything else written in the entry (e.g. `anthropic_version`, `headers`). */
  options: Record<string, unknown>;
}

/** Why a provider call failed; providers return it (`{ error }`) rather than throw, so it crosses any runtime. */
export interface ProviderErrorInfo {
  /** `http`: the upstream answered an error status; `timeout`; `connect`: no connection; `cut`: a stream ended early; `invalid`: an answer that could not be read. */
  type: 'http' | 'timeout' | 'connect' | 'cut' | 'invalid';
  status?: number;
  /** From the upstream's Retry-After, seconds. */
  retryAfterSec?: number;
  message: string;
  /** The upstream's error body, when it had one (sent back to the client for 4xx answers). */
  body?: unknown;
}

export interface ProviderFailure {
  error: ProviderErrorInfo;
}

/** Token counts; `estimated` when the provider reported none and they were counted from the text. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  estimated?: boolean;
}

/** An OpenAI `chat.completion.chunk` object (what a streaming provider yields, translated if need be). */
export type ChatChunk = Record<string, unknown>;

/** The OpenAI /v1/embeddings request. */
export interface EmbeddingRequest {
  model: string;
  input: string | string[];
  target?: ProviderTarget;
  body?: Record<string, unknown>;
}

export interface EmbeddingResponse {
  /** The OpenAI /v1/embeddings answer ({ object: "list", data, model, usage }). */
  body: Record<string, unknown>;
  usage?: TokenUsage;
}

/** The seed's on_request: before the provider is called (once per attempt). */
export interface LlmRequestEvent {
  requestId: string;
  provider: string;
  model: string;
  userId?: string;
  stream: boolean;
  /** ISO 8601 */
  startTime: string;
}

/** The seed's on_response: after the answer (for a stream, after its last chunk). */
export interface LlmResponseEvent {
  requestId: string;
  provider: string;
  model: string;
  userId?: string;
  stream: boolean;
  durationMs: number;
  /** Time to the first token, streams only. */
  ttftMs?: number;
  tokensUsed: number;
  promptTokens: number;
  completionTokens: number;
  /** USD, from the provider's price per 1k tokens (0 when it has none). */
  cost: number;
  estimated: boolean;
  cached: boolean;
}

/** The seed's on_error. */
export interface LlmErrorEvent {
  requestId: string;
  provider?: string;
  model: string;
  userId?: string;
  /** `rate_limited`, `server_error`, `timeout`, `connect`, `stream_cut`, `client_error`, `invalid_response`, `budget_exceeded`, `no_provider`. */
  errorType: string;
  status?: number;
  message: string;
}

/** The seed's on_provider_switch: a failed attempt moves to another provider. */
export interface LlmProviderSwitchEvent {
  requestId: string;
  model: string;
  from: string;
  to: string;
  /** The fallback_on trigger: `429`, `5xx`, `timeout`, `connect`. */
  reason: string;
}

/** Payloads of the seed's LLM hooks, fired by the llm-gateway plugin (ctx.hooks.emit). */
export interface LlmHookPayloads {
  on_request: LlmRequestEvent;
  on_response: LlmResponseEvent;
  on_error: LlmErrorEvent;
  on_provider_switch: LlmProviderSwitchEvent;
}

export type LlmHookName = keyof LlmHookPayloads;
export const LLM_HOOK_NAMES: readonly LlmHookName[] = ['on_request', 'on_response', 'on_error', 'on_provider_switch'];

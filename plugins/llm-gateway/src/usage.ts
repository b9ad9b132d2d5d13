// Tokens and cost: the provider's usage when it reports one, else an estimate marked as such.
// The same estimate for a streamed and a plain answer, so both record the same counts.
import type { TokenUsage } from 'plugway/sdk';
import type { ProviderEntry } from './config.js';

/** About one token a word or punctuation mark (a rough estimate; providers' own counts are exact). */
export function countTokens(text: string): number {
  let n = 0;
  const re = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;
  while (re.exec(text)) n++;
  return n;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'string' ? p : typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : '')).join(' ');
  return '';
}

/** The prompt's tokens: each message's text plus one for its role. */
export function estimatePrompt(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let n = 0;
  for (const m of messages) n += countTokens(textOf((m as { content?: unknown })?.content)) + 1;
  return n;
}

/** usage from an OpenAI body or chunk, if it has one. */
export function usageOf(x: unknown): TokenUsage | undefined {
  const u = (x as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | undefined)?.usage;
  if (!u || typeof u.prompt_tokens !== 'number') return undefined;
  return { promptTokens: u.prompt_tokens, completionTokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0 };
}

export function estimated(messages: unknown, completionText: string): TokenUsage {
  return { promptTokens: estimatePrompt(messages), completionTokens: countTokens(completionText), estimated: true };
}

/** USD from the entry's price per 1k tokens (0 without one). */
export function costOf(entry: ProviderEntry | undefined, u: TokenUsage): number {
  const p = entry?.price;
  if (!p) return 0;
  return (u.promptTokens * p.input + u.completionTokens * p.output) / 1000;
}

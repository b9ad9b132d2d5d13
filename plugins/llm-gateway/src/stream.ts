// The client's side of a streamed completion: the provider's chunks passed on one by one as they
// come (each its own SSE event), usage taken from the final chunk or estimated, then [DONE]. A cut
// upstream ends the stream with an error event; a client that leaves cancels the upstream call.
import type { ChatChunk } from 'plugway/sdk';
import type { OpenedStream } from './failover.js';
import { estimated, usageOf } from './usage.js';
import type { TokenUsage } from 'plugway/sdk';

export type StreamEnd = { kind: 'done'; usage: TokenUsage } | { kind: 'cut'; usage: TokenUsage; message: string } | { kind: 'client_closed'; usage: TokenUsage };

export interface SseItem {
  data: string;
  event?: string;
}

function deltaText(chunk: ChatChunk): string {
  const choices = chunk.choices as Array<{ delta?: { content?: unknown } }> | undefined;
  const c = choices?.[0]?.delta?.content;
  return typeof c === 'string' ? c : '';
}

/**
 * An iterator object rather than a generator: return() (the client went away) must cancel the
 * upstream at once, even while a read of the next chunk waits.
 */
export function clientStream(opened: OpenedStream, opts: { messages: unknown; includeUsage: boolean; provider: string; onEnd: (end: StreamEnd) => void }): AsyncIterable<string | SseItem> {
  let text = '';
  let usage: TokenUsage | undefined;
  let first: ChatChunk | undefined = opened.first;
  /** Still reading the upstream; `ended`: onEnd was called (once). */
  let open = true;
  let ended = false;
  const queue: Array<string | SseItem> = [];
  const usageNow = (): TokenUsage => usage ?? estimated(opts.messages, text);
  const end = (e: StreamEnd) => {
    open = false;
    if (ended) return;
    ended = true;
    opts.onEnd(e);
  };

  /** What the client gets of a chunk: usage-only chunks only when it asked for them (include_usage). */
  const take = (chunk: ChatChunk): string | undefined => {
    text += deltaText(chunk);
    const u = usageOf(chunk);
    if (u) usage = u;
    if (u && !opts.includeUsage) {
      const choices = chunk.choices as unknown[] | undefined;
      if (!choices || choices.length === 0) return undefined;
      const { usage: _drop, ...rest } = chunk;
      return JSON.stringify(rest);
    }
    return JSON.stringify(chunk);
  };

  const it: AsyncIterator<string | SseItem> = {
    async next() {
      for (;;) {
        if (queue.length) return { done: false, value: queue.shift()! };
        if (!open) return { done: true, value: undefined };
        if (first) {
          const c = first;
          first = undefined;
          const out = take(c);
          if (out !== undefined) return { done: false, value: out };
          continue;
        }
        let r: IteratorResult<ChatChunk>;
        try {
          r = await opened.rest.next();
        } catch (err) {
          if (!open) return { done: true, value: undefined };
          const message = `${opts.provider}: ${(err as Error)?.message ?? String(err)}`;
          queue.push({ data: JSON.stringify({ error: { code: 'PLW_ERR_LLM_STREAM_CUT', message: `Provider ${opts.provider} cut the stream after it started`, type: 'api_error' } }) });
          end({ kind: 'cut', usage: usageNow(), message });
          continue;
        }
        if (!open) return { done: true, value: undefined };
        if (r.done) {
          const u = usageNow();
          // The client asked for usage and the provider sent none: the estimate, marked as such.
          if (opts.includeUsage && !usage)
            queue.push(
              JSON.stringify({
                id: '',
                object: 'chat.completion.chunk',
                created: Math.floor(Date.now() / 1000),
                model: '',
                choices: [],
                usage: { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens, estimated: true },
              }),
            );
          queue.push('[DONE]');
          end({ kind: 'done', usage: u });
          continue;
        }
        const out = take(r.value);
        if (out !== undefined) return { done: false, value: out };
      }
    },
    async return() {
      if (open) {
        end({ kind: 'client_closed', usage: usageNow() });
        void Promise.resolve(opened.rest.return?.()).catch(() => undefined);
      }
      open = false;
      queue.length = 0;
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => it };
}

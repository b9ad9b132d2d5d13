// OpenAI chat format <-> Anthropic Messages API: the request one way, the answer and the
// streaming events the other way. Pure functions, tested both directions.
import type { ChatChunk } from 'plugway/sdk';

type Json = Record<string, unknown>;
interface OpenAiMessage {
  role: string;
  content?: unknown;
  name?: string;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'string' ? p : typeof (p as Json)?.text === 'string' ? (p as Json).text : '')).join('');
  return '';
}

/** An OpenAI content value as Anthropic content (text parts kept, image URLs as url sources). */
function contentOf(content: unknown): string | Json[] {
  if (!Array.isArray(content)) return textOf(content);
  return content.map((p) => {
    const part = p as Json;
    if (part.type === 'image_url') {
      const url = String((part.image_url as Json | undefined)?.url ?? '');
      const m = /^data:([^;]+);base64,(.*)$/.exec(url);
      return m ? { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } } : { type: 'image', source: { type: 'url', url } };
    }
    return { type: 'text', text: typeof part === 'string' ? part : String(part.text ?? '') };
  });
}

/** OpenAI chat request body → Anthropic Messages request body. */
export function toAnthropicRequest(body: Json, model: string, defaultMaxTokens: number, stream: boolean): Json {
  const system: string[] = [];
  const messages: Json[] = [];
  for (const m of (body.messages as OpenAiMessage[] | undefined) ?? []) {
    if (m.role === 'system' || m.role === 'developer') {
      system.push(textOf(m.content));
      continue;
    }
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const content = m.role === 'tool' ? `Tool result: ${textOf(m.content)}` : contentOf(m.content);
    const prev = messages[messages.length - 1];
    // Anthropic wants user and assistant turns to alternate: consecutive ones are merged.
    if (prev && prev.role === role && typeof prev.content === 'string' && typeof content === 'string') prev.content = `${prev.content}\n\n${content}`;
    else messages.push({ role, content });
  }
  const out: Json = { model, messages, max_tokens: (body.max_tokens as number | undefined) ?? (body.max_completion_tokens as number | undefined) ?? defaultMaxTokens };
  if (system.length) out.system = system.join('\n\n');
  if (typeof body.temperature === 'number') out.temperature = Math.min(1, body.temperature);
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  if (body.stop !== undefined && body.stop !== null) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (typeof body.user === 'string') out.metadata = { user_id: body.user };
  if (stream) out.stream = true;
  return out;
}

const FINISH: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls', pause_turn: 'stop', refusal: 'content_filter' };
export const finishReasonOf = (stop: unknown): string => FINISH[String(stop)] ?? 'stop';

/** Anthropic Messages answer → OpenAI chat.completion. */
export function toOpenAiResponse(msg: Json, created = Math.floor(Date.now() / 1000)): Json {
  const text = ((msg.content as Json[] | undefined) ?? [])
    .filter((b) => b.type === 'text')
    .map((b) => String(b.text ?? ''))
    .join('');
  const u = (msg.usage as { input_tokens?: number; output_tokens?: number } | undefined) ?? {};
  const prompt = u.input_tokens ?? 0;
  const completion = u.output_tokens ?? 0;
  return {
    id: String(msg.id ?? ''),
    object: 'chat.completion',
    created,
    model: String(msg.model ?? ''),
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReasonOf(msg.stop_reason) }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

/**
 * Anthropic streaming events → OpenAI chunks, one event at a time. message_start opens (role),
 * text deltas become content, message_delta gives the finish reason and the output tokens, and
 * message_stop ends with the usage chunk OpenAI sends under stream_options.include_usage.
 */
export class StreamTranslator {
  private id = '';
  private model = '';
  private readonly created = Math.floor(Date.now() / 1000);
  private prompt = 0;
  private completion = 0;
  private finish: string | null = null;
  done = false;

  constructor(fallbackModel: string) {
    this.model = fallbackModel;
  }

  private chunk(delta: Json, finish: string | null = null): ChatChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }] };
  }

  /** The chunks one event becomes (often none). Throws on an `error` event. */
  translate(event: string | undefined, data: Json): ChatChunk[] {
    const type = (data.type as string | undefined) ?? event;
    switch (type) {
      case 'message_start': {
        const m = (data.message as Json | undefined) ?? {};
        this.id = String(m.id ?? '');
        if (m.model) this.model = String(m.model);
        this.prompt = ((m.usage as Json | undefined)?.input_tokens as number) ?? 0;
        return [this.chunk({ role: 'assistant', content: '' })];
      }
      case 'content_block_delta': {
        const d = (data.delta as Json | undefined) ?? {};
        return d.type === 'text_delta' && typeof d.text === 'string' ? [this.chunk({ content: d.text })] : [];
      }
      case 'message_delta': {
        const d = (data.delta as Json | undefined) ?? {};
        const u = (data.usage as Json | undefined) ?? {};
        if (typeof u.output_tokens === 'number') this.completion = u.output_tokens;
        if (typeof u.input_tokens === 'number' && u.input_tokens > 0) this.prompt = u.input_tokens;
        if (d.stop_reason) this.finish = finishReasonOf(d.stop_reason);
        return [];
      }
      case 'message_stop':
        this.done = true;
        return [
          this.chunk({}, this.finish ?? 'stop'),
          {
            id: this.id,
            object: 'chat.completion.chunk',
            created: this.created,
            model: this.model,
            choices: [],
            usage: { prompt_tokens: this.prompt, completion_tokens: this.completion, total_tokens: this.prompt + this.completion },
          },
        ];
      case 'error': {
        const e = (data.error as Json | undefined) ?? {};
        throw Object.assign(new Error(`error event: ${String(e.type ?? '')} ${String(e.message ?? '')}`.trim()), { code: 'PLW_STREAM_CUT' });
      }
      default:
        return []; // ping, content_block_start/stop
    }
  }
}

// Reading server-sent events from an HTTP body, for plugins that consume an upstream stream
// (the LLM providers). Incremental: an event is handed on as soon as its blank line arrives.

export interface SseMessage {
  /** The `event:` field; undefined for the default "message" event. */
  event?: string;
  data: string;
  id?: string;
}

/** Splits a body (chunks of bytes or text) into events. Comments and retry fields are skipped. */
export async function* readSse(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = boundary(buf)) >= 0) {
      const block = buf.slice(0, end);
      buf = buf
        .slice(end)
        .replace(/^(\r\n|\r|\n){2}/, '')
        .replace(/^\r?\n/, '');
      const msg = parseBlock(block);
      if (msg) yield msg;
    }
  }
  const tail = parseBlock(buf + decoder.decode());
  if (tail) yield tail;
}

/** Where the first blank line (the end of an event) starts, or -1. */
function boundary(buf: string): number {
  const a = buf.indexOf('\n\n');
  const b = buf.indexOf('\r\n\r\n');
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

function parseBlock(block: string): SseMessage | undefined {
  if (!block.trim()) return undefined;
  let event: string | undefined;
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') id = value;
  }
  if (data.length === 0 && event === undefined) return undefined;
  const msg: SseMessage = { data: data.join('\n') };
  if (event !== undefined) msg.event = event;
  if (id !== undefined) msg.id = id;
  return msg;
}

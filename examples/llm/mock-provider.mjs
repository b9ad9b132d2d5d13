#!/usr/bin/env node
// A mock LLM provider speaking the OpenAI (/v1/chat/completions, /v1/embeddings, /v1/models) and
// Anthropic (/v1/messages) wire formats, streamed (SSE, a final usage chunk) or not. It can be told
// to answer 429 with Retry-After, 500, hang, or cut a stream midway: for plugway's tests, benchmark
// and the examples/llm walk-through. No dependencies.
//
//   node examples/llm/mock-provider.mjs --port 9001 [--name primary] [--mode ok|429|500|hang|cut]
//                                       [--latency 0] [--chunk-delay 0] [--no-usage]
//
// Behaviour can change while it runs: POST /_mock/behavior {"mode":"429","retry_after":2} (the
// same keys as the flags, snake_case); GET /_mock/stats counts requests; a request header
// `x-mock-mode: 500` overrides the mode for one request.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const DEFAULTS = { mode: 'ok', retry_after: 1, latency: 0, chunk_delay: 0, usage: true, reply: '' };

/** Roughly one token a word or punctuation mark, as the gateway's estimate counts them. */
export function countTokens(text) {
  return (String(text).match(/[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) ?? []).length;
}

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'string' ? p : (p?.text ?? ''))).join(' ');
  return '';
}

function promptTokens(messages, system) {
  let n = system ? countTokens(textOf(system)) : 0;
  for (const m of messages ?? []) n += countTokens(textOf(m.content)) + 1; // +1: the role
  return n;
}

/** The answer: deterministic for a prompt, so that streamed and plain answers carry the same tokens. */
function answerFor(name, messages, reply) {
  if (reply) return reply;
  const last = [...(messages ?? [])].reverse().find((m) => m.role === 'user');
  const words = textOf(last?.content).split(/\s+/).filter(Boolean).slice(0, 12);
  return `Hello from ${name}. You said: ${words.join(' ')}.`;
}

/** The answer in pieces, one a chunk (a word with its leading space). */
function piecesOf(text) {
  return text.match(/\s*\S+/g) ?? [text];
}

const sleep = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const s = Buffer.concat(chunks).toString();
      try {
        resolve(s ? JSON.parse(s) : {});
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function json(res, status, body, headers = {}) {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s), ...headers });
  res.end(s);
}

export async function startMockProvider(options = {}) {
  const name = options.name ?? 'mock';
  const behavior = { ...DEFAULTS, ...pick(options) };
  const stats = { requests: 0, chat: 0, messages: 0, embeddings: 0, streams: 0, byMode: {} };
  let seq = 0;
  const hanging = new Set();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    try {
      if (url.pathname === '/_mock/behavior' && req.method === 'POST') {
        Object.assign(behavior, pick(await readBody(req)));
        return json(res, 200, behavior);
      }
      if (url.pathname === '/_mock/stats') return json(res, 200, stats);
      if (url.pathname === '/_mock/reset' && req.method === 'POST') {
        Object.assign(behavior, DEFAULTS, pick(options));
        for (const k of ['requests', 'chat', 'messages', 'embeddings', 'streams']) stats[k] = 0;
        stats.byMode = {};
        return json(res, 200, behavior);
      }
      stats.requests++;
      const mode = String(req.headers['x-mock-mode'] ?? behavior.mode);
      stats.byMode[mode] = (stats.byMode[mode] ?? 0) + 1;
      if (req.method === 'GET' && url.pathname.endsWith('/models')) {
        return json(res, 200, { object: 'list', data: (options.models ?? ['gpt-4o-mini']).map((id) => ({ id, object: 'model', owned_by: name })) });
      }
      const body = req.method === 'POST' ? await readBody(req) : {};
      if (mode === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return; // never answers
      }
      await sleep(behavior.latency);
      const anthropic = url.pathname.endsWith('/messages');
      if (mode === '429') {
        return anthropic
          ? json(res, 429, { type: 'error', error: { type: 'rate_limit_error', message: `${name}: rate limited` } }, { 'retry-after': String(behavior.retry_after) })
          : json(res, 429, { error: { message: `${name}: rate limited`, type: 'rate_limit_error', code: 'rate_limit_exceeded' } }, { 'retry-after': String(behavior.retry_after) });
      }
      if (mode === '500') {
        return anthropic
          ? json(res, 500, { type: 'error', error: { type: 'api_error', message: `${name}: internal error` } })
          : json(res, 500, { error: { message: `${name}: internal error`, type: 'server_error' } });
      }
      if (mode === '400') return json(res, 400, { error: { message: `${name}: bad request`, type: 'invalid_request_error' } });
      if (url.pathname.endsWith('/embeddings')) {
        stats.embeddings++;
        const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ''];
        const tokens = inputs.reduce((n, s) => n + countTokens(s), 0);
        return json(res, 200, {
          object: 'list',
          model: body.model,
          data: inputs.map((s, index) => ({ object: 'embedding', index, embedding: Array.from({ length: 8 }, (_, i) => ((countTokens(s) + i) % 7) / 7) })),
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        });
      }
      const id = `${name}-${++seq}`;
      const text = answerFor(name, body.messages, behavior.reply);
      const pTokens = promptTokens(body.messages, body.system);
      const cTokens = countTokens(text);
      if (anthropic) {
        stats.messages++;
        if (body.stream) return streamAnthropic(res, { id, model: body.model, text, pTokens, cTokens, mode, behavior, stats });
        return json(res, 200, {
          id,
          type: 'message',
          role: 'assistant',
          model: body.model,
          content: [{ type: 'text', text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: pTokens, output_tokens: cTokens },
        });
      }
      stats.chat++;
      if (body.stream) return streamOpenAi(res, { id, model: body.model, text, pTokens, cTokens, mode, behavior, stats, includeUsage: body.stream_options?.include_usage === true });
      const out = {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      };
      if (behavior.usage) out.usage = { prompt_tokens: pTokens, completion_tokens: cTokens, total_tokens: pTokens + cTokens };
      return json(res, 200, out);
    } catch (err) {
      json(res, 400, { error: { message: String(err?.message ?? err), type: 'invalid_request_error' } });
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    stats,
    behavior,
    set(b) {
      Object.assign(behavior, pick(b));
    },
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function pick(o) {
  const out = {};
  for (const k of Object.keys(DEFAULTS)) {
    const v = o[k] ?? o[k.replace(/_(\w)/g, (_, c) => c.toUpperCase())];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function sseHead(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
}

async function streamOpenAi(res, { id, model, text, pTokens, cTokens, mode, behavior, stats, includeUsage }) {
  stats.streams++;
  sseHead(res);
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta, finish = null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] });
  const write = (o) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  const pieces = piecesOf(text);
  write(chunk({ role: 'assistant', content: '' }));
  for (let i = 0; i < pieces.length; i++) {
    if (mode === 'cut' && i === Math.floor(pieces.length / 2)) return res.destroy(); // midway, no [DONE]
    await sleep(behavior.chunk_delay);
    if (res.destroyed) return;
    write(chunk({ content: pieces[i] }));
  }
  write(chunk({}, 'stop'));
  if (includeUsage && behavior.usage)
    write({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: pTokens, completion_tokens: cTokens, total_tokens: pTokens + cTokens } });
  res.end('data: [DONE]\n\n');
}

async function streamAnthropic(res, { id, model, text, pTokens, cTokens, mode, behavior, stats }) {
  stats.streams++;
  sseHead(res);
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: pTokens, output_tokens: 1 } } });
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  ev('ping', {});
  const pieces = piecesOf(text);
  for (let i = 0; i < pieces.length; i++) {
    if (mode === 'cut' && i === Math.floor(pieces.length / 2)) return res.destroy();
    await sleep(behavior.chunk_delay);
    if (res.destroyed) return;
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: pieces[i] } });
  }
  ev('content_block_stop', { index: 0 });
  ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: cTokens } });
  ev('message_stop', {});
  res.end();
}

function flags(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-usage') o.usage = false;
    else if (a.startsWith('--')) {
      const k = a.slice(2).replace(/-/g, '_');
      const v = argv[++i];
      o[k] = k === 'models' ? v.split(',') : /^\d+$/.test(v) ? Number(v) : v;
    }
  }
  return o;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o = flags(process.argv.slice(2));
  const m = await startMockProvider({ ...o, port: o.port ?? 9001 });
  process.stdout.write(`mock provider ${m.name} listening on ${m.url} (mode ${m.behavior.mode})\n`);
  const stop = () => m.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

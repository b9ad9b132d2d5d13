// For the tests beside src/gateway/steps/ (not built into dist/): a real host and GatewayCore (routes compiled as the
// gateway compiles them) and requests run through RequestEntry with an Exchange that records the answer.

import { pino } from 'pino';
import { Writable } from 'node:stream';
import { GatewayCore } from '../core.js';
import { createRequestLogger } from '../logging.js';
import { GatewayMetrics } from '../metrics.js';
import { RequestEntry } from '../request-entry.js';
import type { Exchange } from './context.js';
import { defaultHostConfig } from '../../host/config.js';
import type { HostConfig } from '../../host/config-types.js';
import { createHost } from '../../host/index.js';
import type { Host } from '../../host/types.js';
import type { PluginManifest } from '../../manifest/types.js';
import { parseRateLimit, type RateLimitSpec } from '../../resilience/rate-limit.js';

export interface InlinePlugin {
  id: string;
  plugin: unknown;
  manifest?: Partial<PluginManifest>;
}

export function rl(raw: string): RateLimitSpec {
  const r = parseRateLimit(raw);
  if (!r) throw new Error(`bad rate limit ${raw}`);
  return r;
}

/** A handler plugin that answers with what it got. */
export const echoPlugin = {
  handleRequest(req: { params: unknown; query: unknown; body: unknown; path: string; method: string; userId?: string; context: unknown }) {
    return { statusCode: 200, body: { params: req.params, query: req.query, body: req.body ?? null, path: req.path, method: req.method, userId: req.userId ?? null, context: req.context } };
  },
};

export interface Answer {
  status: number;
  headers: Record<string, string | number | string[]>;
  contentType: string | undefined;
  body: any;
}

class RecordingExchange implements Exchange {
  answer: Answer | undefined;
  private sentNow!: () => void;
  /** Resolves when the answer is sent (a request whose step timed out is answered before its promise settles). */
  readonly sent = new Promise<void>((r) => (this.sentNow = r));
  remoteAddress(): string {
    return '127.0.0.1';
  }
  send(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, payload: string | Buffer | undefined): void {
    if (this.answer) throw new Error('sent twice');
    const text = payload === undefined ? '' : payload.toString();
    this.answer = { status, headers: { ...headers }, contentType, body: contentType?.startsWith('application/json') && text ? JSON.parse(text) : text };
    this.sentNow();
  }
}

export interface StepBench {
  host: Host;
  core: GatewayCore;
  /** The request lines written so far. */
  lines: Array<Record<string, unknown>>;
  request(method: string, url: string, opts?: { headers?: Record<string, string>; body?: unknown }): Promise<Answer>;
  /** The names of the compiled steps of the route matching method and path. */
  stepsOf(method: string, path: string): string[];
  close(): Promise<void>;
}

export async function stepBench(plugins: InlinePlugin[], mutate?: (c: HostConfig) => void): Promise<StepBench> {
  const config = defaultHostConfig();
  mutate?.(config);
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  for (const p of plugins) host.registerBuiltin(p.id, p.plugin, p.manifest ?? {});
  await host.start();
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  const logger = createRequestLogger({ level: 'info', destination, redact: [], timestamp: false });
  let core!: GatewayCore;
  const metrics = new GatewayMetrics(host, (id) => core.circuitState(id));
  core = new GatewayCore({ host, config, metrics, logger });
  core.rebuild();
  const off = host.hooks.onChange(() => core.routesChanged('hooks'));
  const entry = new RequestEntry(core, '');
  return {
    host,
    core,
    lines,
    async request(method, url, opts = {}) {
      const io = new RecordingExchange();
      const q = url.indexOf('?');
      const query = q < 0 ? {} : Object.fromEntries(new URLSearchParams(url.slice(q + 1)));
      const done = entry.handle(method, url, opts.headers ?? {}, query, opts.body, io);
      if (done) await Promise.race([done, io.sent]);
      logger.flush();
      if (!io.answer) throw new Error('no answer sent');
      return io.answer;
    },
    stepsOf(method, path) {
      const m = core.table.find(method, path);
      if (!m) throw new Error(`no route ${method} ${path}`);
      return m.route.steps.map((s) => s.name);
    },
    async close() {
      off();
      metrics.close();
      await host.stop();
    },
  };
}

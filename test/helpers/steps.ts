// For the tests beside src/gateway/steps/: a real host and GatewayCore (routes compiled as the
// gateway compiles them) and requests run through RequestEntry with an Exchange that records the answer.

import { pino } from 'pino';
import { Writable } from 'node:stream';
import { GatewayCore } from '../../src/gateway/core.js';
import { createRequestLogger } from '../../src/gateway/logging.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { RequestEntry } from '../../src/gateway/request-entry.js';
import type { Exchange } from '../../src/gateway/steps/context.js';
import type { HostConfig } from '../../src/host/config-types.js';
import type { Host } from '../../src/host/types.js';
import { makeHost, testConfig, type InlinePlugin } from '../gateway/helpers.js';

export interface Answer {
  status: number;
  headers: Record<string, string | number | string[]>;
  contentType: string | undefined;
  body: any;
}

class RecordingExchange implements Exchange {
  answer: Answer | undefined;
  remoteAddress(): string {
    return '127.0.0.1';
  }
  send(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, payload: string | Buffer | undefined): void {
    if (this.answer) throw new Error('sent twice');
    const text = payload === undefined ? '' : payload.toString();
    this.answer = { status, headers: { ...headers }, contentType, body: contentType?.startsWith('application/json') && text ? JSON.parse(text) : text };
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
  const config = testConfig(mutate);
  const host = await makeHost(plugins, config);
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
      await entry.handle(method, url, opts.headers ?? {}, query, opts.body, io);
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

export const silent = pino({ level: 'silent' });

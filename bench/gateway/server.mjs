// One benchmark server per process, GET /echo, printing its URL on stdout when listening:
//   bare          Fastify, one async route (the baseline)
//   moleculer:N   Moleculer 0.14 + moleculer-web 0.10, a local async action, N middlewares wrapping
//                 it (an async wrapper: work before and after `await next(ctx)`), its memory rate limiter,
//                 logging off (as in the measurement)
//   code:N        informational: the gateway on dist/ with an echo plugin and N sync onRequest-only
//                 middleware registered in code (the shape earlier benchmarks measured)
//   floor:N DIR   informational: the plugin folders' own code (DIR, as plugway serve loads them) on
//                 bare node:http, no gateway: what the plugins cost awaited naively
//   floorh:N DIR  the same, each onResponse handed the response as the gateway hands it (handOver
//                 from dist/: a headers object always there and marked), which makes the plugins'
//                 own spreads cheaper, and the answers written together once per turn of the event
//                 loop as the gateway writes them (WriteBatch from dist/): the floor any gateway
//                 serving these plugins stands on
// `plugway serve` itself is started by run.ts (bin/plugway.js on dist/).
import Fastify from 'fastify';
import { pino } from 'pino';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scenario = process.argv[2] ?? 'bare';
const [kind, n] = scenario.split(':');
const N = Number(n ?? 0);

if (kind === 'bare') {
  const app = Fastify({ logger: false });
  app.get('/echo', async () => ({ hello: 'world', tags: [] }));
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
} else if (kind === 'moleculer') {
  const require = createRequire(import.meta.url);
  const { ServiceBroker } = require('moleculer');
  const ApiGateway = require('moleculer-web');
  const middlewares = Array.from({ length: N }, (_, i) => ({
    name: `mw-${i}`,
    localAction(next) {
      return async (ctx) => {
        (ctx.meta.tags ??= []).push(`mw-${i}`);
        const res = await next(ctx);
        ctx.meta.$responseHeaders = { ...(ctx.meta.$responseHeaders ?? {}), [`x-mw-${i}`]: '1' };
        return res;
      };
    },
  }));
  const broker = new ServiceBroker({ logger: false, middlewares });
  broker.createService({
    name: 'echo',
    actions: {
      async get(ctx) {
        return { hello: 'world', tags: ctx.meta.tags ?? [] };
      },
    },
  });
  broker.createService({
    name: 'api',
    mixins: [ApiGateway],
    settings: {
      port: 0,
      ip: '127.0.0.1',
      logRequest: null,
      logResponse: null,
      rateLimit: { window: 1000, limit: 1_000_000_000, headers: true },
      routes: [{ path: '/', aliases: { 'GET echo': 'echo.get' }, mappingPolicy: 'restrict', logging: false }],
    },
  });
  await broker.start();
  console.log(`http://127.0.0.1:${broker.getLocalService('api').server.address().port}`);
} else if (kind === 'code') {
  const base = new URL('../../dist/', import.meta.url);
  const { createHost } = await import(new URL('host/index.js', base).href);
  const { defaultHostConfig } = await import(new URL('host/config.js', base).href);
  const { createGateway, createRequestLogger } = await import(new URL('gateway/index.js', base).href);
  const config = defaultHostConfig();
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  host.registerBuiltin(
    'echo',
    { handleRequest: () => ({ statusCode: 200, body: { hello: 'world', tags: [] } }) },
    {
      endpoints: [{ path: '/echo', method: 'GET', rateLimit: { points: 1_000_000_000, durationSec: 1, raw: '1000000000/s' } }],
    },
  );
  for (let i = 0; i < N; i++)
    host.registerBuiltin(
      `mw-${i}`,
      {
        onRequest(req) {
          req.context[`mw${i}`] = true;
          return undefined;
        },
      },
      { kind: 'middleware', middleware: { priority: i, routes: [] } },
    );
  await host.start();
  const logger = createRequestLogger({ dest: join(await mkdtemp(join(tmpdir(), 'plugway-bench-log-')), 'requests.log') });
  const app = await createGateway({ host, logger, stateDir: await mkdtemp(join(tmpdir(), 'plugway-bench-')), env: {} });
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
} else if (kind === 'floor' || kind === 'floorh') {
  // What the plugins themselves cost, with no gateway at all: node:http calling the very plugin
  // modules `plugway serve` loads (argv[3]: the folder run.ts wrote), awaiting each async hook in
  // order and writing the JSON answer with its headers. No rate limit, no log, no metrics, no checks.
  const { createServer } = await import('node:http');
  const { floorChain } = await import('./plugins.mjs');
  const handOver = kind === 'floorh' ? (await import('../../dist/gateway/steps/middleware.js')).handOver : undefined;
  const batch = kind === 'floorh' ? new (await import('../../dist/gateway/write-batch.js')).WriteBatch() : undefined;
  const chain = await floorChain(process.argv[3], N, handOver);
  let seq = 0;
  const server = createServer(async (req, res) => {
    const r = await chain({ id: String(++seq), method: req.method, path: req.url, params: {}, query: {}, headers: req.headers, context: {} });
    const body = JSON.stringify(r.body);
    const write = () => {
      res.writeHead(r.statusCode, { ...r.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (batch) batch.add({ write });
    else write();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  console.log(`http://127.0.0.1:${server.address().port}`);
} else {
  throw new Error(`unknown scenario ${scenario}`);
}
process.on('SIGTERM', () => process.exit(0));

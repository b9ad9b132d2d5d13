// One process of the proxy benchmark: `upstream` (a bare node:http service answering GET /item),
// `plugway` (the gateway, dist/ unless BENCH_SOURCE=src, with a remote plugin in front of the
// upstream, 0 middleware, the request log on to /dev/null) or `fastify-http-proxy` (Fastify +
// @fastify/http-proxy to the same upstream). Prints its URL on stdout when listening.
import { createServer } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';

const [scenario = 'upstream', upstream = ''] = process.argv.slice(2);
const fromSrc = process.env.BENCH_SOURCE === 'src';
const BODY = JSON.stringify({ id: 42, name: 'item', tags: ['a', 'b'], price: 9.5 });

if (scenario === 'upstream') {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
} else if (scenario === 'fastify-http-proxy') {
  const { default: proxy } = await import('@fastify/http-proxy');
  const app = Fastify({ logger: false });
  await app.register(proxy, { upstream, prefix: '/', http: undefined });
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
} else if (scenario === 'plugway') {
  if (fromSrc) (await import('tsx/esm/api')).register();
  const base = new URL(fromSrc ? '../../src/' : '../../dist/', import.meta.url);
  const ext = fromSrc ? '.ts' : '.js';
  const { createHost } = await import(new URL(`host/index${ext}`, base).href);
  const { defaultHostConfig } = await import(new URL(`host/config${ext}`, base).href);
  const { createGateway, createRequestLogger } = await import(new URL(`gateway/index${ext}`, base).href);
  const config = defaultHostConfig();
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  host.registerBuiltin('catalog', undefined, {
    runtime: { type: 'remote', instances: 1, remote: { upstreams: [upstream], connections: 64 } },
    endpoints: [{ path: '/item', method: 'GET' }],
  });
  await host.start();
  const logger = createRequestLogger({ dest: '/dev/null' });
  const app = await createGateway({ host, logger, stateDir: await mkdtemp(join(tmpdir(), 'plugway-bench-')), env: {} });
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
} else {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));

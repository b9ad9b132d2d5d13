// One process of the proxy benchmark: `upstream` (a bare node:http service answering GET /item),
// `fastify-http-proxy` (Fastify + @fastify/http-proxy to the upstream), `floor` (informational:
// node:http forwarding to an undici Pool with `dispatch`, the library plugway's remote runtime
// uses, and nothing else: no gateway, no checks, no log) or `plugway-in-code` (informational: the
// gateway built in code, dist/ unless BENCH_SOURCE=src, a remote plugin registered with
// host.registerBuiltin, the request log to /dev/null; handy under --cpu-prof). The plugway row
// users run is `plugway serve` over a plugin folder, started by proxy.ts itself.
// Prints its URL on stdout when listening.
import { createServer } from 'node:http';
import { Pool } from 'undici';
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
} else if (scenario === 'floor') {
  // The least a proxy on node:http + undici can do: headers passed as they came, the answer
  // read whole (it is small) and written in one go.
  const pool = new Pool(upstream, { connections: 64 });
  const server = createServer((req, res) => {
    const chunks = [];
    let status = 502;
    let head = [];
    pool.dispatch(
      { path: req.url, method: req.method, headers: req.headers },
      {
        onConnect() {},
        onError() {
          res.writeHead(502);
          res.end();
        },
        onHeaders(s, h) {
          status = s;
          head = h;
          return true;
        },
        onData(c) {
          chunks.push(c);
          return true;
        },
        onComplete() {
          const headers = {};
          for (let i = 0; i < head.length; i += 2) headers[head[i].toString('latin1')] = head[i + 1].toString('latin1');
          res.writeHead(status, headers);
          res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        },
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
} else if (scenario === 'plugway-in-code') {
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

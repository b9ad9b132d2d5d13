// One benchmark server per process: `bare` (Fastify hello) or the gateway with an in-process echo
// plugin and N middleware (`mw:N`), optionally with JWT auth + a rate limit (`mw:N:auth`).
// Prints the URL on stdout when listening.
import Fastify from 'fastify';
import { pino } from 'pino';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost } from '../../src/host/index.js';
import { defaultHostConfig } from '../../src/host/config.js';
import { createGateway, createRequestLogger } from '../../src/gateway/index.js';
import createJwtAuth from '../../plugins/jwt-auth/src/index.js';

export const BENCH_SECRET = 'bench-secret-that-is-at-least-32-bytes-long!!';

const scenario = process.argv[2] ?? 'bare';

if (scenario === 'bare') {
  const app = Fastify({ logger: false });
  app.post('/echo', async (req) => ({ body: req.body ?? null }));
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
} else {
  const [, n, withAuth] = scenario.split(':');
  const config = defaultHostConfig();
  const auth = withAuth === 'auth';
  if (auth) {
    config.gateway.auth.plugin = 'jwt-auth';
    config.plugins.configs['jwt-auth'] = { enabled: true, config: { secret: BENCH_SECRET }, dependencies: [], roles: [], required: true, flags: {} };
  }
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  host.registerBuiltin('echo', { handleRequest: (req: { body: unknown }) => ({ statusCode: 200, body: { body: req.body ?? null } }) }, {
    endpoints: [{ path: '/echo', method: 'POST', ...(auth ? { auth: 'required', rateLimit: { points: 1_000_000_000, durationSec: 1, raw: '1000000000/s' } } : {}) }] as never,
  });
  for (let i = 0; i < Number(n); i++) {
    host.registerBuiltin(`mw-${i}`, { onRequest(req: { context: Record<string, unknown> }) { req.context[`mw${i}`] = true; return undefined; } }, { kind: 'middleware', middleware: { priority: i, routes: [] } });
  }
  if (auth) host.registerBuiltin('jwt-auth', createJwtAuth, { kind: 'auth' });
  await host.start();
  // The one log line per request is part of the gateway's cost: written, to /dev/null.
  const logger = createRequestLogger({ destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const app = await createGateway({ host, logger, stateDir: await mkdtemp(join(tmpdir(), 'plugway-bench-')), env: {} });
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
}
process.on('SIGTERM', () => process.exit(0));

// One benchmark server per process: `bare` (Fastify hello) or the gateway with an in-process echo
// plugin and N middleware (`mw:N`), optionally with JWT auth + a rate limit (`mw:N:auth`), and with
// runtimes.async_context off (`…:noctx`).
// Plain node on dist/ (what an installed plugway runs) unless BENCH_SOURCE=src (tsx on src/, what
// `npm start` in a checkout runs). Prints the URL on stdout when listening.
import Fastify from 'fastify';
import { pino } from 'pino';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const scenario = process.argv[2] ?? 'bare';
const secret = process.env.BENCH_SECRET ?? '';
const fromSrc = process.env.BENCH_SOURCE === 'src';

async function tsx() {
  const { register } = await import('tsx/esm/api');
  register();
}

if (scenario === 'bare') {
  const app = Fastify({ logger: false });
  app.post('/echo', async (req) => ({ body: req.body ?? null }));
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
} else {
  if (fromSrc) await tsx();
  const base = new URL(fromSrc ? '../../src/' : '../../dist/', import.meta.url);
  const ext = fromSrc ? '.ts' : '.js';
  const { createHost } = await import(new URL(`host/index${ext}`, base).href);
  const { defaultHostConfig } = await import(new URL(`host/config${ext}`, base).href);
  const { createGateway, createRequestLogger } = await import(new URL(`gateway/index${ext}`, base).href);

  const [, n, ...flags] = scenario.split(':');
  const config = defaultHostConfig();
  const auth = flags.includes('auth');
  if (flags.includes('noctx')) config.runtimes.asyncContext = false;
  if (auth) {
    config.gateway.auth.plugin = 'jwt-auth';
    config.plugins.configs['jwt-auth'] = { enabled: true, config: { secret }, dependencies: [], roles: [], required: true, flags: {} };
  }
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  host.registerBuiltin('echo', { handleRequest: (req) => ({ statusCode: 200, body: { body: req.body ?? null } }) }, {
    endpoints: [{ path: '/echo', method: 'POST', ...(auth ? { auth: 'required', rateLimit: { points: 1_000_000_000, durationSec: 1, raw: '1000000000/s' } } : {}) }],
  });
  for (let i = 0; i < Number(n); i++) {
    host.registerBuiltin(`mw-${i}`, { onRequest(req) { req.context[`mw${i}`] = true; return undefined; } }, { kind: 'middleware', middleware: { priority: i, routes: [] } });
  }
  if (auth) {
    // The built-in plugin is TypeScript: loaded through tsx, as the in-process runtime loads a .ts entry.
    if (!fromSrc) await tsx();
    const { default: createJwtAuth } = await import(new URL('../../plugins/jwt-auth/src/index.ts', import.meta.url).href);
    host.registerBuiltin('jwt-auth', createJwtAuth, { kind: 'auth' });
  }
  await host.start();
  // The one log line per request is part of the gateway's cost: written (the default buffered destination), to /dev/null.
  const logger = createRequestLogger({ dest: '/dev/null' });
  const app = await createGateway({ host, logger, stateDir: await mkdtemp(join(tmpdir(), 'plugway-bench-')), env: {} });
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
}
process.on('SIGTERM', () => process.exit(0));

// The CovetPy seed's management routes as aliases of the admin API: GET /_plugins, GET
// /_plugins/health, POST /_plugins/{name}/reload. Each is forwarded to its /admin route, so the
// token check, audit and error shapes are the admin API's own, whatever they become.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const FORWARDED = ['authorization', 'x-request-id', 'accept'] as const;

/** Registers the aliases on `app` (the gateway's scope); `adminBase` is where the admin API is mounted ("/admin" under the prefix). */
export function registerSeedAliases(app: FastifyInstance, adminBase: string): void {
  const forward = async (request: FastifyRequest, reply: FastifyReply, method: 'GET' | 'POST', path: string, extra?: Record<string, unknown>) => {
    const headers: Record<string, string> = {};
    for (const h of FORWARDED) {
      const v = request.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const res = await app.inject({ method, url: `${adminBase}${path}${query}`, headers, ...(method === 'POST' ? { payload: '' } : {}) });
    for (const h of ['content-type', 'x-request-id', 'www-authenticate', 'retry-after']) {
      const v = res.headers[h];
      if (v !== undefined) reply.header(h, v);
    }
    reply.code(res.statusCode);
    if (extra && res.statusCode < 300) return { ...(JSON.parse(res.body) as Record<string, unknown>), ...extra };
    return reply.send(res.body);
  };
  app.get('/_plugins', (request, reply) => forward(request, reply, 'GET', '/plugins'));
  app.get('/_plugins/health', (request, reply) => forward(request, reply, 'GET', '/health'));
  app.post<{ Params: { name: string } }>('/_plugins/:name/reload', (request, reply) =>
    // CovetPy answers {"status": "reloaded"}; the admin API's fields come with it.
    forward(request, reply, 'POST', `/plugins/${encodeURIComponent(request.params.name)}/reload`, { status: 'reloaded' }),
  );
}

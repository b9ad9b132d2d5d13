// GET /dashboard: the operator's web page over the admin API. The page carries no data, so it
// needs no token; it asks for the admin token and calls /admin/* with it (same origin only).

import type { FastifyInstance } from 'fastify';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './page.js';
import { adminHostAllowed, hostName } from '../host-check.js';
import { errorBody, refuse } from '../http-errors.js';
import { requestIdOf } from '../request-id.js';

export { DASHBOARD_CSP, DASHBOARD_HTML } from './page.js';

/**
 * Registers GET /dashboard on `app` (the gateway's scope, beside /admin). Call it only when the
 * admin API is enabled: without it the page would have nothing to talk to.
 */
export function registerDashboard(app: FastifyInstance, allowedHosts: readonly string[] = []): void {
  app.get('/dashboard', async (request, reply) => {
    if (!adminHostAllowed(request.headers.host, allowedHosts)) {
      const rid = requestIdOf(request.headers['x-request-id']);
      return reply
        .code(403)
        .header('x-request-id', rid)
        .header('content-type', 'application/json; charset=utf-8')
        .send(errorBody(refuse('PLW_ERR_HOST_NOT_ALLOWED', { host: hostName(request.headers.host) }), rid));
    }
    return reply.headers(DASHBOARD_HEADERS).send(DASHBOARD_HTML);
  });
}

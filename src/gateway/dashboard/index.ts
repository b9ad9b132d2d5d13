// GET /dashboard: the operator's web page over the admin API. The page carries no data, so it
// needs no token; it asks for the admin token and calls /admin/* with it (same origin only).

import type { FastifyInstance } from 'fastify';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './page.js';

export { DASHBOARD_CSP, DASHBOARD_HTML } from './page.js';

/**
 * Registers GET /dashboard on `app` (the gateway's scope, beside /admin). Call it only when the
 * admin API is enabled: without it the page would have nothing to talk to.
 */
export function registerDashboard(app: FastifyInstance): void {
  app.get('/dashboard', async (_request, reply) => reply.headers(DASHBOARD_HEADERS).send(DASHBOARD_HTML));
}

// Keeps a plugin's own error text off the wire: a 5xx that may carry what a plugin threw (a
// connection string, a query) reaches the client as its code and a pointer to the log, from any
// step (handler, middleware, auth, hooks); the log line keeps the message under the request id.

import type { Logger } from 'pino';
import { carriesPluginText, clientFailure } from '../http-errors.js';
import { isFailure, type RequestContext, type Step } from './context.js';

export function errorTextStep(logger: Logger, pluginId: string): Step {
  return {
    name: 'error-text',
    leave(ctx: RequestContext): void {
      const out = ctx.outcome;
      if (!isFailure(out) || !carriesPluginText(out)) return;
      if (!out.logged) logger.warn({ plugin_id: pluginId, request_id: ctx.preq.id, err: { code: out.code, message: out.message } }, 'plugin call failed');
      ctx.outcome = clientFailure(out, pluginId);
    },
  };
}

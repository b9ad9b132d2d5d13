// The host's hooks around a request: onRequest before the handler's guards, onResponse or
// onError after it (before the response is sent). A failing hook is logged, never fails the
// request. In the array only while such hooks are registered (a change rebuilds the routes).

import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import { reasonOf } from '../../errors.js';
import type { Host } from '../../host/types.js';
import type { GatewayMetrics } from '../metrics.js';
import { isFailure, type RequestContext, type Step } from './context.js';

export interface HookDeps {
  host: Host;
  metrics: GatewayMetrics;
  logger: Logger;
}

async function runHook(deps: HookDeps, name: 'onRequest' | 'onResponse' | 'onError', payload: unknown): Promise<void> {
  const t = performance.now();
  try {
    await deps.host.hooks.run(name, payload);
  } catch (err) {
    deps.logger.warn({ hook: name, err: { message: reasonOf(err) } }, 'hook run failed');
  }
  deps.metrics.hook(name, (performance.now() - t) / 1000);
}

export function requestHooksStep(deps: HookDeps, pluginId: string): Step {
  return {
    name: 'hooks:onRequest',
    enter: (ctx: RequestContext) => runHook(deps, 'onRequest', { pluginId, request: ctx.preq }),
  };
}

/** onError for a failure, onResponse otherwise; `has` is asked per request since a hook list may be emptied between rebuilds. */
export function responseHooksStep(deps: HookDeps, pluginId: string): Step {
  return {
    name: 'hooks:onResponse',
    leave(ctx: RequestContext): Promise<void> | undefined {
      const out = ctx.outcome;
      if (isFailure(out)) {
        if (!deps.host.hooks.has('onError')) return undefined;
        return runHook(deps, 'onError', { pluginId, request: ctx.preq, status: out.status, error: { code: out.code, message: out.message } });
      }
      if (!deps.host.hooks.has('onResponse')) return undefined;
      return runHook(deps, 'onResponse', { pluginId, request: ctx.preq, response: { statusCode: out.status, headers: out.headers } });
    },
  };
}

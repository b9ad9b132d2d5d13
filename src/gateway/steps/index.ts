// Compiles a route's step array once, when routes change: only the steps that apply to the
// route, in the order docs/gateway.md draws (accounting and send leave last, the handler is last in).

import type { CompiledRouteSpec, GatewayCore } from '../core.js';
import { authStep } from './auth.js';
import { authMissingStep } from './auth-missing.js';
import { availabilityStep } from './availability.js';
import { callPluginStep } from './call-plugin.js';
import { circuitBreakerStep } from './circuit-breaker.js';
import type { Step } from './context.js';
import { requestHooksStep, responseHooksStep } from './hooks.js';
import { middlewareStep } from './middleware.js';
import { rateLimitStep } from './rate-limit.js';
import { sendStep } from './send.js';
import { errorTextStep } from './error-text.js';
import { sandboxStep } from './sandbox.js';
import { serializeStep } from './serialize.js';

/** `accounting` is the route's accounting step (core.ts keeps it for requests refused before the steps). */
export function compileSteps(core: GatewayCore, route: CompiledRouteSpec, accounting: Step): Step[] {
  const { host, logger, metrics } = core;
  const id = route.pluginId;
  const steps: Step[] = [accounting, sendStep, errorTextStep(logger, id)];
  if (core.sandboxResponses) steps.push(sandboxStep);
  if (host.hooks.has('onResponse') || host.hooks.has('onError')) steps.push(responseHooksStep({ host, metrics, logger }, id));
  steps.push(serializeStep(id, route.guard, core.maxResponseBytes));
  steps.push(availabilityStep(host, id));
  for (const mw of route.middleware) steps.push(middlewareStep(host, mw, core.maxResponseBytes));
  if ((route.auth !== 'none' || route.needsPrincipal) && core.authPluginId) {
    steps.push(authStep(host, core.authPluginId, { ...route, method: route.def.method, path: route.def.path }, logger));
  } else if (route.auth !== 'none' || route.needsPrincipal) {
    steps.push(authMissingStep({ method: route.def.method, path: route.def.path, pluginId: id }));
  }
  if (route.limiter) steps.push(rateLimitStep(core, id, route.limiter, route.metrics));
  if (host.hooks.has('onRequest')) steps.push(requestHooksStep({ host, metrics, logger }, id));
  steps.push(circuitBreakerStep(id, route.guard));
  steps.push(callPluginStep({ host, metrics, logger, maxResponseBytes: core.maxResponseBytes }, id, route.guard, route.timeoutMs));
  return steps.map(uniform);
}

/**
 * The step with every member present (absent halves undefined), in one order: every step of every
 * route then has one object shape, so the dispatcher's reads of step.enter, step.leave… stay
 * monomorphic instead of going megamorphic over a dozen shapes of object literal.
 */
function uniform(step: Step): Step {
  return {
    name: step.name,
    enter: step.enter,
    entered: step.entered,
    enterFailed: step.enterFailed,
    leave: step.leave,
    left: step.left,
    leaveFailed: step.leaveFailed,
    timedOut: step.timedOut,
  };
}

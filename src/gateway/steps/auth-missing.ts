// A route that needs auth when no auth plugin is configured: only a plugin that was not running when
// routes were compiled gets one (core.ts refuses a running one at start). It fails closed, 503, never open.

import { refuse } from '../http-errors.js';
import type { Outcome, Step } from './context.js';

export function authMissingStep(route: { method: string; path: string; pluginId: string }): Step {
  return {
    name: 'auth',
    enter(): Outcome {
      return refuse('PLW_ERR_AUTH_PROVIDER_MISSING', { method: route.method, path: route.path, id: route.pluginId }, undefined, 503);
    },
  };
}

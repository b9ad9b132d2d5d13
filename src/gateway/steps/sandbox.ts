// Content-Security-Policy: sandbox on plugin responses (gateway.sandbox_plugin_responses): a
// plugin's page runs in an opaque origin of its own, so its scripts cannot read the dashboard's
// window or this origin's storage, and its requests to /admin are cross-origin. docs/admin-api.md.

import { withSandbox } from '../response.js';
import { isFailure, type RequestContext, type Step } from './context.js';

export const sandboxStep: Step = {
  name: 'sandbox',
  leave(ctx: RequestContext): void {
    const out = ctx.outcome;
    if (isFailure(out)) return; // the gateway's JSON error body: nothing for a browser to run
    // JSON, as its type says: a browser shows it as text and never runs or sniffs it (most API answers).
    if (out.contentType !== undefined && out.contentType.startsWith('application/json')) return;
    // checkResponse built these headers for this request (never the plugin's own object): added in place.
    out.headers = withSandbox(out.headers);
  },
};

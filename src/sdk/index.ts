// plugway/sdk: everything a plugin author imports. Depends on nothing else in plugway.

export * from './types.js';
export * from './context.js';
export * from './plugin.js';
export * from './llm.js';
export * from './sse.js';
export * from './llm-http.js';
export * from './diagnostics.js';
export * from './diagnostics-errors.js';
export * from './diagnostics-sampling.js';
export * from './diagnostics-checks.js';
export * from './diagnostics-target.js';
export * from './diagnostics-http.js';
export * from './diagnostics-plugin.js';
export * from './diagnostics-categories.js';
export * from './define.js';
export * from './websocket.js';
export * from './protocol.js';

// plugway/sdk: everything a plugin author imports. Depends on nothing else in plugway.

export * from './types.js';
export * from './context.js';
export * from './plugin.js';
export * from './diagnostics.js';
export * from './define.js';

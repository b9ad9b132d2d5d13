// The top of every scaffolded Node plugin's test/plugin.test.mjs (node-kinds.ts adds each kind's
// cases below it): a fake context and a request builder, so the test runs without plugway.

/** Shared top of test/plugin.test.mjs: a minimal context, so the test needs no plugway. */
export function nodeTestPreamble(id: string): string {
  return `// Unit test of the built plugin (run: npm run build && npm test). No plugway needed: the
// plugin only imports types from it. \`plugway plugin test .\` runs it through the real host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import plugin from '../dist/index.js';

function fakeContext(config) {
  const noop = () => {};
  const logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };
  logger.child = () => logger;
  return {
    pluginId: ${JSON.stringify(id)},
    version: '0.1.0',
    config,
    logger,
    flags: { isEnabled: () => false, all: () => ({}) },
    events: { emit: async () => {}, on: () => noop },
    storage: { get: async () => undefined, set: async () => {}, delete: async () => false, exists: async () => false },
    services: { get: () => { throw new Error('no services in unit tests'); }, tryGet: () => undefined },
    signal: new AbortController().signal,
  };
}

function request(partial) {
  return { id: 'test', method: 'GET', path: '/', params: {}, query: {}, headers: {}, context: {}, ...partial };
}

`;
}

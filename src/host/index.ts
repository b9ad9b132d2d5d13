// The host's public API: createHost() and what an embedding application needs beside it.
export { createHost, PluginHost, infoOf, type CreateHostOptions } from './host.js';
export { loadHostConfig, defaultHostConfig, ENV_MAPPING, type LoadHostConfigOptions, type RawHostConfig, type DeepPartial } from './config.js';
export { installSignalHandlers, type SignalOptions } from './signals.js';
export { DependencyGraph, satisfies, type GraphAnalysis, type GraphNode } from './dependency-graph.js';
export { TRANSITIONS, canTransition } from './lifecycle.js';
export { DEFAULT_HOOK_TIMEOUT_MS } from './hooks.js';
export type { HealthOptions } from './health.js';
export type { FullStartReport } from './orchestrator.js';
export { MemoryStorage } from './storage.js';
export { setUnattributedPolicy, type UnattributedPolicy } from '../runtimes/inprocess/async-errors.js';

// The knobs of the isolated runtimes (worker, wasm, process): restart backoff, deadlines' grace,
// ring size and polling, load timeout, response limit; their defaults and how a runtime gets them.

import { DEFAULT_POLL_US, type RuntimeInit } from './types.js';
import type { RestartTuning } from './restart-policy.js';

export interface RuntimeTuning extends RestartTuning {
  /** How long a thread has to answer a ping after a deadline before it is terminated. */
  giveBackGraceMs: number;
  /** Bytes of each SharedArrayBuffer ring (two per instance); larger messages go by postMessage. */
  ringBytes: number;
  /** How long both ends of a ring poll for the next message before sleeping, µs (PumpOptions.pollUs; 0: never poll). */
  pollUs: number;
  /** How long an instance has to load (import / instantiate) before it is ended; default loadTimeoutMs(manifest). */
  startTimeoutMs?: number;
  maxResponseBytes: number;
}

/** Load timeout of an instance when the manifest sets no resources.timeout. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;
/**
 * The least a load is given, whatever resources.timeout says: a thread's start (tsx, Extism, the
 * module) can take seconds when several gateways start at once on a small, busy machine.
 */
export const MIN_LOAD_TIMEOUT_MS = 10_000;

/**
 * How long an isolated instance may take to load, counted from the moment its thread runs:
 * resources.timeout if longer than MIN_LOAD_TIMEOUT_MS, else that (DEFAULT_LOAD_TIMEOUT_MS when unset). A loop at the top level of a worker entry or in a wasm start
 * function is ended then with PLW_ERR_PLUGIN_LOAD_TIMEOUT.
 */
export function loadTimeoutMs(resources: { timeoutMs?: number }): number {
  return Math.max(MIN_LOAD_TIMEOUT_MS, resources.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS);
}

export const DEFAULT_TUNING: RuntimeTuning = {
  backoffBaseMs: 1000,
  backoffMaxMs: 30_000,
  restartLimit: 5,
  restartWindowMs: 60_000,
  giveBackGraceMs: 100,
  ringBytes: 1 << 20,
  pollUs: DEFAULT_POLL_US,
  maxResponseBytes: 10 * 1024 * 1024,
};

/** A runtime's tuning: the defaults, what the host passed in `init`, then explicit overrides. */
export function tuningOf(init: RuntimeInit, overrides: Partial<RuntimeTuning>): RuntimeTuning {
  return {
    ...DEFAULT_TUNING,
    ...(init.maxResponseBytes ? { maxResponseBytes: init.maxResponseBytes } : {}),
    ...(init.pollUs !== undefined ? { pollUs: init.pollUs } : {}),
    ...overrides,
  };
}

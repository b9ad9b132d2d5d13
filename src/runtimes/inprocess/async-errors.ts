// Attributes errors that escape a plugin's calls (thrown from its timers, unhandled rejections of
// its promises) to that plugin through AsyncLocalStorage, so the host fails the plugin, not the process.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

export interface PluginScope {
  /** `${id}@${version}` */
  readonly pluginKey: string;
  onAsyncError(err: Error): void;
}

/** Every call into an in-process plugin, and its import, runs inside `pluginScope.run(scope, …)`. */
export const pluginScope = new AsyncLocalStorage<PluginScope>();

/**
 * What to do with an uncaught error that no plugin's scope claims:
 * - 'exit' (default): Node's documented behaviour — log it at fatal, print the stack, exit with code 1 —
 *   unless another listener (the embedding application, a test runner) also handles the event; then it
 *   is logged at fatal and left to that listener.
 * - 'log': log at fatal and keep running (the process state may be inconsistent; use with care).
 */
export type UnattributedPolicy = 'exit' | 'log';

let installed = false;
let policy: UnattributedPolicy = 'exit';
let fatalLogger: Pick<Logger, 'fatal'> | undefined;
const counts = { attributed: 0, unattributed: 0 };

/** Installs the one process-level handler pair (idempotent). */
export function installAsyncErrorHandler(options: { logger?: Pick<Logger, 'fatal'>; policy?: UnattributedPolicy } = {}): void {
  if (options.logger && !fatalLogger) fatalLogger = options.logger;
  if (options.policy) policy = options.policy;
  if (installed) return;
  installed = true;
  // The capture callback sees uncaught exceptions before (instead of) 'uncaughtException' listeners,
  // so an error a plugin owns never reaches the application's or a test runner's handler.
  try {
    process.setUncaughtExceptionCaptureCallback((err) => handle(err, 'uncaughtException'));
    captured = true;
  } catch {
    process.on('uncaughtException', (err) => handle(err, 'uncaughtException'));
  }
  process.on('unhandledRejection', (reason) => handle(reason, 'unhandledRejection'));
}

let captured = false;

export function setUnattributedPolicy(p: UnattributedPolicy): void {
  policy = p;
}

export function asyncErrorCounts(): { attributed: number; unattributed: number } {
  return { ...counts };
}

function handle(raw: unknown, origin: 'uncaughtException' | 'unhandledRejection'): void {
  const err = raw instanceof Error ? raw : new Error(typeof raw === 'string' ? raw : `non-error thrown: ${String(raw)}`);
  const scope = pluginScope.getStore();
  if (scope) {
    counts.attributed++;
    try {
      scope.onAsyncError(err);
    } catch (inner) {
      process.emitWarning(`plugway: handling an async error of ${scope.pluginKey} failed: ${String(inner)}`);
    }
    return;
  }
  counts.unattributed++;
  if (fatalLogger) fatalLogger.fatal({ err, origin }, `${origin} outside any plugin: ${err.message}`);
  // Not ours: hand it to whoever else listens (the application, a test runner), as Node would have.
  if (origin === 'uncaughtException' && captured && process.listenerCount('uncaughtException') > 0) {
    (process.emit as (event: string, ...args: unknown[]) => boolean)('uncaughtException', err, 'uncaughtException');
    return;
  }
  const othersListen = process.listenerCount(origin) > (origin === 'uncaughtException' && captured ? 0 : 1);
  if (policy === 'log' || othersListen) return;
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
}

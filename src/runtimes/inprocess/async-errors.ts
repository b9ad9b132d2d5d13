// Attributes errors that escape a plugin's calls (thrown from its timers, unhandled rejections of
// its promises) to that plugin, so the host fails the plugin, not the process. Two ways, in order:
// 1. AsyncLocalStorage: every call into a plugin runs in its scope, which follows whatever the call
//    started (timers, promises, sockets). Off when runtimes.async_context is false: on Node 20 it taxes
//    every promise and async resource in the process once it is on.
// 2. The stack: a frame in the folder a plugin was loaded from names it (its version too, when the
//    frame carries the `?v=<n>` its entry was imported with). This also catches errors from plugin
//    code run outside any call (a listener it added to a shared emitter).

import { AsyncLocalStorage } from 'node:async_hooks';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** A plugin loaded from disk, for attribution by stack frame. */
interface FileScope {
  readonly scope: PluginScope;
  /** The plugin's folder, with a trailing separator. */
  readonly root: string;
  /** The URL its entry was imported with (`file:///…/index.js?v=2`), set once loaded. */
  entryUrl?: string;
  disposed: boolean;
}

const fileScopes: FileScope[] = [];
/** Unloaded versions stay attributable for a while (their timers may still fire); this many are kept. */
const KEEP_DISPOSED = 32;
/** plugway's own code (src/ or dist/): a frame there never names a plugin, even one loaded from a parent folder. */
const OWN_CODE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..') + sep;

export interface FileScopeHandle {
  /** Records the URL the entry was imported with (distinguishes versions loaded from one folder). */
  loaded(entryUrl: string): void;
  /** The plugin was unloaded: still attributable, until KEEP_DISPOSED later unloads push it out. */
  dispose(): void;
}

/** Registers a plugin's folder: errors whose stack has a frame in it are attributed to `scope`. */
export function registerPluginFiles(dir: string, scope: PluginScope): FileScopeHandle {
  const entry: FileScope = { scope, root: resolve(dir) + sep, disposed: false };
  fileScopes.push(entry);
  return {
    loaded(entryUrl) {
      entry.entryUrl = entryUrl;
    },
    dispose() {
      if (entry.disposed) return;
      entry.disposed = true;
      let disposed = 0;
      for (let i = fileScopes.length - 1; i >= 0; i--) {
        if (fileScopes[i]!.disposed && ++disposed > KEEP_DISPOSED) fileScopes.splice(i, 1);
      }
    },
  };
}

// `at fn (file:///a/b.js?v=2:3:7)`, `at /a/b.js:3:7`, `at async fn (/a/b.js:3:7)`
const FRAME = /^\s*at (?:.*?\()?((?:file:\/\/|\/|[A-Za-z]:\\)[^()]*?):\d+:\d+\)?$/;

/** The plugin the innermost frame in a registered plugin folder belongs to, if any. */
export function scopeFromStack(stack: unknown): PluginScope | undefined {
  if (typeof stack !== 'string' || fileScopes.length === 0) return undefined;
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const location = m[1]!;
    let path: string;
    try {
      path = location.startsWith('file:') ? fileURLToPath(location.replace(/[?#].*$/, '')) : location;
    } catch {
      continue;
    }
    if (path.startsWith(OWN_CODE)) continue;
    const found = scopeOfFile(path, location);
    if (found) return found.scope;
  }
  return undefined;
}

/** Deepest registered folder holding the file; among versions loaded from it, the one whose entry URL the frame names, else the newest live one. */
function scopeOfFile(path: string, location: string): FileScope | undefined {
  let best: FileScope | undefined;
  for (const fs of fileScopes) {
    if (!path.startsWith(fs.root)) continue;
    if (fs.entryUrl === location) return fs;
    if (!best || preferred(fs, best)) best = fs;
  }
  return best;
}

/** `later` (registered after `best`) wins with a deeper folder, or the same folder unless only it is unloaded. */
function preferred(later: FileScope, best: FileScope): boolean {
  if (later.root.length !== best.root.length) return later.root.length > best.root.length;
  return !later.disposed || best.disposed;
}

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

/** err.stack, unless reading it throws (a getter of a hostile error). */
function stackOf(err: Error): unknown {
  try {
    return err.stack;
  } catch {
    return undefined;
  }
}

function handle(raw: unknown, origin: 'uncaughtException' | 'unhandledRejection'): void {
  const err = raw instanceof Error ? raw : new Error(typeof raw === 'string' ? raw : `non-error thrown: ${String(raw)}`);
  const scope = pluginScope.getStore() ?? scopeFromStack(stackOf(err));
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

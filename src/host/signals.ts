// Graceful shutdown on SIGTERM/SIGINT: stop every plugin in reverse dependency order within the
// host's shutdown deadline, then exit (0 when all stopped cleanly, 1 otherwise).

import type { Host } from './types.js';

export interface SignalOptions {
  signals?: NodeJS.Signals[];
  /** How to end the process (tests pass their own). Default: process.exit. */
  exit?: (code: number) => void;
  /** Hard backstop after which the process exits even if stop() never returns (a plugin stuck in a sync loop). */
  backstopMs?: number;
}

/** Installs the handlers; returns a function that removes them. */
export function installSignalHandlers(host: Pick<Host, 'stop' | 'logger' | 'config'>, options: SignalOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const backstopMs = options.backstopMs ?? host.config.plugins.shutdownTimeoutMs + 2000;
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      host.logger.warn({ signal }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    host.logger.info({ signal }, 'shutting down: stopping plugins in reverse dependency order');
    const backstop = setTimeout(() => exit(1), backstopMs);
    backstop.unref();
    host.stop().then(
      () => {
        clearTimeout(backstop);
        host.logger.info('all plugins stopped');
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(backstop);
        host.logger.error({ err }, 'shutdown did not finish cleanly');
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

// Sampling across a window: rates and trends come from deltas between reads spread over the
// window, not from one read of a lifetime counter.
import type { DiagnoseOptions } from './diagnostics.js';
import { parseDuration } from './diagnostics.js';
import { DiagnosticsError } from './diagnostics-errors.js';

/** The window (ms, ≥ 0) and number of samples (≥ 2) of a diagnosis: the options' or else the config's. */
export function samplingWindow(options: DiagnoseOptions, config: { window: string | number; samples: number }): { windowMs: number; samples: number } {
  return {
    windowMs: Math.max(0, options.windowMs ?? parseDuration(config.window)),
    samples: Math.max(2, Math.floor(options.samples ?? config.samples)),
  };
}

export interface SampleOverWindowOptions {
  windowMs: number;
  /** How many reads (at least 2): the first at once, the last at the end of the window. */
  samples: number;
  /** ctx.signal: the host aborts it when the plugin stops. */
  signal?: AbortSignal;
  /**
   * When the signal aborts: `reject` (default) fails at once with PLW_ERR_DIAG_CONNECT
   * ("the diagnosis was aborted"); `finish` takes the remaining reads without waiting.
   */
  onAbort?: 'reject' | 'finish';
}

/** Calls `take(i)` `samples` times spread evenly over the window and returns the reads in order. */
export async function sampleOverWindow<T>(take: (index: number) => Promise<T>, options: SampleOverWindowOptions): Promise<T[]> {
  const n = Math.max(2, Math.floor(options.samples));
  const step = Math.max(0, options.windowMs) / (n - 1);
  const start = Date.now();
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) await waitFor(start + step * i - Date.now(), options.signal, options.onAbort ?? 'reject');
    out.push(await take(i));
  }
  return out;
}

function aborted(): DiagnosticsError {
  return new DiagnosticsError('PLW_ERR_DIAG_CONNECT', 'The diagnosis was aborted: the plugin is stopping');
}

function waitFor(ms: number, signal: AbortSignal | undefined, onAbort: 'reject' | 'finish'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return onAbort === 'reject' ? reject(aborted()) : resolve();
    if (ms <= 0) return resolve();
    const stop = () => {
      clearTimeout(timer);
      if (onAbort === 'reject') reject(aborted());
      else resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

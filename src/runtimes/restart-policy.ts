// When a crashed instance of an isolated plugin (worker thread, wasm thread, process) is started
// again: after a delay that doubles with each crash within a window, and not at all once too many
// crashes fall within it (the plugin is then `failed`). The budget is per plugin, shared by its
// instances (docs/runtimes.md); Envoy's FAIL_RELOAD and Kong's plugin-server respawn are the models.

export interface RestartTuning {
  /** First restart delay; doubles per crash within the window. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Crashes within restartWindowMs that make the plugin `failed`. */
  restartLimit: number;
  restartWindowMs: number;
}

export type RestartDecision = { restart: true; attempt: number; delayMs: number } | { restart: false; count: number };

export class RestartPolicy {
  private crashTimes: number[] = [];

  constructor(private readonly tuning: RestartTuning) {}

  /** Counts a crash at `now`: restart after `delayMs`, or give up (the limit is reached within the window). */
  crashed(now = Date.now()): RestartDecision {
    const { backoffBaseMs, backoffMaxMs, restartLimit, restartWindowMs } = this.tuning;
    this.crashTimes = this.crashTimes.filter((t) => now - t < restartWindowMs);
    this.crashTimes.push(now);
    const count = this.crashTimes.length;
    if (count >= restartLimit) return { restart: false, count };
    return { restart: true, attempt: count, delayMs: Math.min(backoffBaseMs * 2 ** (count - 1), backoffMaxMs) };
  }
}

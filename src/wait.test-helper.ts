// Shared by the tests under src/ and test/ (test/helpers/wait.ts re-exports it); not built into dist/.
// Waiting in tests: on an event, or on a condition polled until a deadline — never on a fixed sleep
// that guesses how long something takes (too short on a loaded machine, wasted time on an idle one).

export interface WaitOptions {
  /** Give up after this long (default 10 s: a wait that succeeds returns as soon as the condition holds). */
  timeoutMs?: number;
  /** How often the condition is checked (default 25 ms). */
  everyMs?: number;
  /** What is awaited, for the error (default: the check's source text). */
  what?: string;
}

/**
 * Resolves with the first value of `check` that is not undefined, false or null (a thrown error
 * counts as not yet); rejects after the deadline, naming what was awaited and the last error.
 */
export async function waitFor<T>(check: () => T | undefined | false | null | Promise<T | undefined | false | null>, opts: WaitOptions | number = {}): Promise<T> {
  const { timeoutMs = 10_000, everyMs = 25, what = check.toString() } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`not within ${timeoutMs} ms: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// Test helper for the private database servers the diagnostics tests spawn: wait until a fresh
// server answers (failing at once when it exits), and stop one (SIGKILL after 15 s).
import type { ChildProcess } from 'node:child_process';

const gone = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Retries `probe` every 100 ms until it resolves; `where` says where to look when the server exits. */
export async function waitUntilAnswers(what: string, child: ChildProcess, where: string, probe: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone(child)) throw new Error(`${what} exited at start; ${where}`);
    try {
      await probe();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what} did not answer within ${timeoutMs / 1000} s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Asks the server to stop with `signal()` and waits for the exit, killing it after 15 s. */
export async function stopProcess(child: ChildProcess, signal: () => void): Promise<void> {
  if (gone(child)) return;
  const exit = new Promise((r) => child.once('exit', r));
  signal();
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exit;
  clearTimeout(t);
}

// Reads a ring on its thread as messages arrive: polling for a while after each one (the answer to
// a call usually follows within microseconds), sleeping on Atomics.waitAsync otherwise, and not
// polling while its thread shares a CPU with the other end (then polling is what delays the answer).

import type { Ring } from './channel.js';
import type { Wire } from './frame.js';

export interface PumpOptions {
  /**
   * After the ring runs dry, look again once per event-loop turn for up to this many µs before
   * sleeping on Atomics.waitAsync (0: sleep at once). A message that lands in that window is read
   * without the two wake-ups a sleeping reader costs (the writer's futex wake, then the reader's
   * event-loop wake-up): about 30 µs of a round trip, measured on a 2-vCPU VM. Looking once per turn, not
   * in a busy loop, leaves the thread's own I/O and timers running meanwhile.
   */
  pollUs: number;
  /**
   * Within each event-loop turn of the poll, keep looking for up to this many µs before yielding
   * (fewer turns, fewer allocations, so fewer GC pauses). It delays the thread's own I/O by as
   * much: for plugin threads, not for the gateway's main thread. Default 0.
   */
  sliceUs?: number;
  /**
   * A poll whose looks are further apart than this (µs) saw its thread taken off the CPU: the other
   * thread of the ring probably shares that CPU, and then polling is what delays it (it runs only
   * when the poller is preempted; round trips of ~100 µs instead of ~20 asleep). The pump then sleeps
   * for the next PAUSE_AFTER_STALL messages before it polls again. Default DEFAULT_STALL_US; 0: off.
   */
  stallUs?: number;
}

/** The least a poll window shrinks to, µs: enough to catch a quick answer and grow back. */
const MIN_POLL_US = 10;
/** Two looks of a poll further apart than this (µs) mean this thread was off its CPU in between. */
export const DEFAULT_STALL_US = 50;
/** After such a stall, the next this many messages are waited for asleep, without polling. */
export const PAUSE_AFTER_STALL = 64;

/**
 * Reads a ring on its thread and calls `onMessage` for every message as it arrives, until
 * `stopped()`: one async loop that polls for a while after the last message (an adaptive window of
 * up to `opts.pollUs`), then sleeps until a write wakes it, or until `kick()` says a message is now
 * expected (the main thread kicks when it sends a call, so that the answer is polled for too).
 */
export class RingPump {
  private kicked: (() => void) | undefined;
  /**
   * The current poll window, µs, between MIN_POLL_US and pollUs: halved after a poll that found
   * nothing, doubled after one that did, and widened to twice the wait when a sleep was ended by a
   * message that came within half of pollUs. Polling pays only while the peer answers within the
   * window; when it does not (sparse traffic, or both threads sharing one CPU, where each one's
   * polling keeps the other off it) the window shrinks towards plain sleeping.
   */
  private windowUs: number;
  /** Messages still to wait for asleep after a stall (see PumpOptions.stallUs). */
  private paused = 0;

  constructor(
    private readonly ring: Ring,
    private readonly onMessage: (msg: Wire) => void,
    private readonly stopped: () => boolean,
    private readonly opts: PumpOptions = { pollUs: 0 },
  ) {
    this.windowUs = opts.pollUs;
  }

  /** The poll window now, µs (for tests and metrics). */
  get pollWindowUs(): number {
    return this.windowUs;
  }

  /** Messages the pump will still wait for asleep after a stall. */
  get pollPaused(): number {
    return this.paused;
  }

  /** Runs the loop; resolves when `stopped()`. */
  async run(): Promise<void> {
    const { ring, opts } = this;
    while (!this.stopped()) {
      const seen = ring.seq();
      for (let m = ring.read(); m !== undefined; m = ring.read()) this.onMessage(m);
      if (this.stopped()) return;
      const poll = opts.pollUs > 0 && this.paused === 0;
      if (this.paused > 0) this.paused--;
      if (poll && (await this.polled(seen))) continue;
      // SEQ is still `seen` when polling gave up; a write since then makes the wait return at once.
      const woken = ring.waitAsync(seen);
      if (!woken) continue;
      if (opts.pollUs === 0) {
        await woken;
        continue;
      }
      const slept = performance.now();
      const byMessage = await Promise.race([woken.then(() => true), new Promise<boolean>((resolve) => (this.kicked = () => resolve(false)))]);
      this.kicked = undefined;
      if (byMessage && this.paused === 0) {
        // Had the window been long enough for this message, polling would have saved the wake-up: widen it.
        const gapUs = this.windowUs + (performance.now() - slept) * 1000;
        if (gapUs <= opts.pollUs / 2) this.windowUs = Math.max(this.windowUs, 2 * gapUs);
      }
    }
  }

  /** A message is now expected: a sleeping loop starts polling (its armed wait stays, harmlessly). */
  kick(): void {
    this.kicked?.();
  }

  /**
   * Whether SEQ moved past `seen` within the poll window (looking once per event-loop turn, or for
   * sliceUs per turn). Two looks further apart than stallUs end the poll and pause polling.
   */
  private polled(seen: number): Promise<boolean> {
    const { ring, opts } = this;
    let last = performance.now();
    const until = last + this.windowUs / 1000;
    const slice = (opts.sliceUs ?? 0) / 1000;
    const stallMs = (opts.stallUs ?? DEFAULT_STALL_US) / 1000;
    let stalled = false;
    const clock = (): number => {
      const now = performance.now();
      if (stallMs > 0 && now - last > stallMs) stalled = true;
      last = now;
      return now;
    };
    return new Promise((resolve) => {
      const look = (): void => {
        let now = clock();
        if (slice > 0 && !stalled) {
          // performance.now() allocates in Node 20 (process.hrtime's array): look at the clock every 256 loads only.
          const end = Math.min(until, now + slice);
          for (let i = 1; ring.seq() === seen; i++) if ((i & 255) === 0 && ((now = clock()) >= end || stalled)) break;
        }
        const found = ring.seq() !== seen || this.stopped();
        if (stalled) {
          this.windowUs = Math.min(MIN_POLL_US, opts.pollUs);
          this.paused = PAUSE_AFTER_STALL;
          resolve(found);
        } else if (found) {
          this.windowUs = Math.min(opts.pollUs, this.windowUs * 2);
          resolve(true);
        } else if (now >= until) {
          this.windowUs = Math.max(Math.min(MIN_POLL_US, opts.pollUs), this.windowUs / 2);
          resolve(false);
        } else setImmediate(look);
      };
      setImmediate(look);
    });
  }
}

// Answers written together, once per turn of the event loop ("corking", as uWebSockets does).
//
// node:http writes an answer the moment a handler ends it, in the middle of reading the next
// requests. On loopback (and on a VM generally) each of those writes also runs the client's TCP
// receive and wakes the client's thread, which has often gone back to sleep since the last one: the
// wake-up is paid once per answer, by the server, and it grows the longer the server takes per
// request. Held until the I/O phase is over (setImmediate: the check phase of the same turn) and
// then written back to back, the first write wakes the client and the rest find it awake.
// docs/gateway.md ("Answers written together") has the measurements.
//
// An answer waits at most until the end of the turn that produced it (or of the next one, when it
// was produced in a setImmediate callback itself): no timer, no size threshold, nothing to tune.

/** Captured at load, so a test's fake timers cannot hold answers back. */
const later = setImmediate;

/** An answer ready to be written; write() must not throw (a failure is its own to report). */
export interface PendingWrite {
  write(): void;
}

export class WriteBatch {
  private queue: PendingWrite[] = [];
  private spare: PendingWrite[] = [];

  /** Queues `w` to be written at the end of this turn of the event loop. */
  add(w: PendingWrite): void {
    if (this.queue.push(w) === 1) later(this.flush);
  }

  /** Answers queued and not written yet. */
  get pending(): number {
    return this.queue.length;
  }

  /** Writes every queued answer, in the order they were queued. */
  readonly flush = (): void => {
    const q = this.queue;
    this.queue = this.spare;
    for (let i = 0; i < q.length; i++) {
      try {
        q[i]!.write();
      } catch {
        // write() reports its own failures; one that throws anyway must not keep the others back
      }
    }
    q.length = 0;
    this.spare = q;
  };
}

/** The answers of this thread's servers (the fast path's and Fastify's), one queue per event loop. */
export const answers = new WriteBatch();

type AnswerHeaders = Record<string, string | number | string[]>;

/**
 * An Exchange whose whole answers wait for the end of the turn: send() calls hold(), which keeps
 * the answer and queues it on `answers`; the server's own write() then writes what is held.
 */
export abstract class HeldAnswer implements PendingWrite {
  protected status = 0;
  protected headers: AnswerHeaders | undefined = undefined;
  protected contentType: string | undefined = undefined;
  protected payload: string | Buffer | undefined = undefined;

  protected hold(status: number, headers: AnswerHeaders, contentType: string | undefined, payload: string | Buffer | undefined): void {
    this.status = status;
    this.headers = headers;
    this.contentType = contentType;
    this.payload = payload;
    answers.add(this);
  }

  abstract write(): void;
}

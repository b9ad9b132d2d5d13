// One shared timer for all in-process call deadlines. setTimeout + clearTimeout per call costs
// ~1.5 µs here; calls with the same timeout are appended to one FIFO (their deadlines come in
// order), so adding and removing a deadline is O(1) and the timer is re-armed only when the earliest moves.

export interface Deadline {
  at: number;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  list: DeadlineList | undefined;
  expire(): void;
}

interface DeadlineList {
  head: Deadline | undefined;
  tail: Deadline | undefined;
}

const lists = new Map<number, DeadlineList>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Infinity;
let pending = 0;

/** Schedules `d.expire()` in `ms` milliseconds (rounded up to whole ms) from `now` (performance.now(), taken by the caller when it has one). */
export function addDeadline(d: Deadline, ms: number, now = performance.now()): void {
  const key = Math.ceil(ms);
  const at = now + key;
  d.at = at;
  let list = lists.get(key);
  if (!list) lists.set(key, (list = { head: undefined, tail: undefined }));
  d.list = list;
  d.prev = list.tail;
  d.next = undefined;
  if (list.tail) list.tail.next = d;
  else list.head = d;
  list.tail = d;
  // The timer keeps the process alive only while some call is pending, like a per-call timer would.
  if (pending++ === 0 && timer) timer.ref();
  if (at < timerAt) arm(at);
}

/** Cancels a deadline (the call settled). The timer is left armed: it re-arms itself lazily. */
export function removeDeadline(d: Deadline): void {
  const list = d.list;
  if (!list) return;
  unlink(list, d);
  if (--pending === 0 && timer) timer.unref();
}

function unlink(list: DeadlineList, d: Deadline): void {
  if (d.prev) d.prev.next = d.next;
  else list.head = d.next;
  if (d.next) d.next.prev = d.prev;
  else list.tail = d.prev;
  d.prev = d.next = d.list = undefined;
}

function arm(at: number): void {
  if (timer) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(fire, Math.max(1, at - performance.now()));
  if (pending === 0) timer.unref();
}

function fire(): void {
  timer = undefined;
  timerAt = Infinity;
  const now = performance.now();
  let earliest = Infinity;
  for (const [key, list] of lists) {
    while (list.head && list.head.at <= now) {
      const d = list.head;
      unlink(list, d);
      pending--;
      d.expire();
    }
    if (list.head) earliest = Math.min(earliest, list.head.at);
    else lists.delete(key);
  }
  if (earliest !== Infinity) arm(earliest);
}

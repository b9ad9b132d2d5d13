// Request rate and p50/p99 latency per plugin over the last five minutes (GET /admin/stats, the
// dashboard's charts): a ring of 5 s buckets per plugin, each a count, a 5xx count, the slowest
// answer and a log-scale latency histogram. A request only increments; rates and percentiles are
// computed when read.

/** Epoch ms at performance.now() = 0. */
const TIME_ORIGIN = performance.timeOrigin;

export const BUCKET_MS = 5_000;
/** Buckets kept: 60 × 5 s = 5 minutes. */
export const SLOTS = 60;
/** Latency bins: bin 0 holds ≤ 1 µs, then 4 bins a doubling (each ~19 % wide), the last everything above ~4.5 min. */
const MIN_MS = 0.001;
const PER_OCTAVE = 4;
const BINS = 112;

/** The bin a duration falls in. */
export function binOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const i = Math.ceil(Math.log2(ms / MIN_MS) * PER_OCTAVE);
  return i < BINS ? i : BINS - 1;
}

/** A bin's representative value: its geometric middle (its lower bound for the last, open one). */
function binValue(bin: number): number {
  if (bin === 0) return MIN_MS;
  return MIN_MS * 2 ** ((bin === BINS - 1 ? bin - 1 : bin - 0.5) / PER_OCTAVE);
}

export interface LiveSummary {
  requests: number;
  errors: number;
  rps: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface LiveSeries {
  /** Start of each bucket, epoch ms, oldest first; the last is the bucket now filling. */
  t: number[];
  requests: number[];
  errors: number[];
  /** Requests a second in the bucket (the one now filling: over its elapsed part, at least 1 s). */
  rps: number[];
  /** null where the bucket had no request. */
  p50_ms: Array<number | null>;
  p99_ms: Array<number | null>;
  max_ms: Array<number | null>;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** One plugin's ring. Its arrays are allocated at the first request, so plugins never called cost nothing. */
export class PluginLiveStats {
  private readonly epochs = new Float64Array(SLOTS).fill(-1);
  private readonly counts = new Uint32Array(SLOTS);
  private readonly errors = new Uint32Array(SLOTS);
  private readonly maxMs = new Float64Array(SLOTS);
  private bins: Uint32Array | undefined;

  /** One answered request: `ms` its duration, `at` when it ended (performance.now()). */
  record(ms: number, status: number, at: number): void {
    const epoch = Math.floor((TIME_ORIGIN + at) / BUCKET_MS);
    const slot = epoch % SLOTS;
    if (this.epochs[slot] !== epoch) this.reset(slot, epoch);
    this.counts[slot]!++;
    if (status >= 500) this.errors[slot]!++;
    if (ms > this.maxMs[slot]!) this.maxMs[slot] = ms;
    this.bins![slot * BINS + binOf(ms)]!++;
  }

  private reset(slot: number, epoch: number): void {
    this.bins ??= new Uint32Array(SLOTS * BINS);
    this.bins.fill(0, slot * BINS, slot * BINS + BINS);
    this.counts[slot] = 0;
    this.errors[slot] = 0;
    this.maxMs[slot] = 0;
    this.epochs[slot] = epoch;
  }

  /** The last SLOTS buckets up to the one `nowMs` (epoch ms) falls in, oldest first. */
  series(nowMs: number): LiveSeries {
    const cur = Math.floor(nowMs / BUCKET_MS);
    const out: LiveSeries = { t: [], requests: [], errors: [], rps: [], p50_ms: [], p99_ms: [], max_ms: [] };
    for (let e = cur - SLOTS + 1; e <= cur; e++) {
      const slot = e % SLOTS;
      const live = this.epochs[slot] === e;
      const n = live ? this.counts[slot]! : 0;
      const seconds = e === cur ? Math.max(1, (nowMs - e * BUCKET_MS) / 1000) : BUCKET_MS / 1000;
      out.t.push(e * BUCKET_MS);
      out.requests.push(n);
      out.errors.push(live ? this.errors[slot]! : 0);
      out.rps.push(round(n / seconds, 2));
      const max = live && n ? this.maxMs[slot]! : null;
      out.p50_ms.push(n ? this.quantile([slot], n, 0.5, max!) : null);
      out.p99_ms.push(n ? this.quantile([slot], n, 0.99, max!) : null);
      out.max_ms.push(max === null ? null : round(max, 3));
    }
    return out;
  }

  /** Totals over the last `windowMs` (whole buckets, the one now filling included). */
  summary(nowMs: number, windowMs = 60_000): LiveSummary {
    const cur = Math.floor(nowMs / BUCKET_MS);
    const first = cur - Math.ceil(windowMs / BUCKET_MS) + 1;
    const slots: number[] = [];
    let requests = 0;
    let errors = 0;
    let max = 0;
    for (let e = first; e <= cur; e++) {
      const slot = e % SLOTS;
      if (this.epochs[slot] !== e) continue;
      slots.push(slot);
      requests += this.counts[slot]!;
      errors += this.errors[slot]!;
      if (this.maxMs[slot]! > max) max = this.maxMs[slot]!;
    }
    const seconds = Math.max(1, (nowMs - first * BUCKET_MS) / 1000);
    return {
      requests,
      errors,
      rps: round(requests / seconds, 2),
      p50_ms: requests ? this.quantile(slots, requests, 0.5, max) : null,
      p99_ms: requests ? this.quantile(slots, requests, 0.99, max) : null,
    };
  }

  /** The q-quantile of the bins of `slots` (n requests in all), never above the slowest answer seen. */
  private quantile(slots: readonly number[], n: number, q: number, max: number): number {
    const rank = Math.max(1, Math.ceil(q * n));
    const bins = this.bins!;
    let seen = 0;
    for (let b = 0; b < BINS; b++) {
      for (const s of slots) seen += bins[s * BINS + b]!;
      if (seen >= rank) return round(Math.min(binValue(b), max), 3);
    }
    return round(max, 3);
  }
}

/** The rings of every plugin with routes, by plugin id (they outlive reloads and route rebuilds). */
export class LiveStats {
  private readonly plugins = new Map<string, PluginLiveStats>();

  /** A plugin's ring (made when its first route is compiled, not on the request path). */
  of(pluginId: string): PluginLiveStats {
    let s = this.plugins.get(pluginId);
    if (!s) this.plugins.set(pluginId, (s = new PluginLiveStats()));
    return s;
  }

  get(pluginId: string): PluginLiveStats | undefined {
    return this.plugins.get(pluginId);
  }
}

// Lag in time as kafka-lag-exporter computes it: a table of (latest offset, time) points per
// partition; the committed offset is placed on it by linear interpolation, or extrapolated back
// at the observed production rate when it is older than the oldest point.

export interface OffsetPoint {
  offset: number;
  /** ms since epoch */
  t: number;
}

export interface LagTime {
  /** Seconds the consumer is behind; undefined when the table cannot tell (no production seen). */
  seconds?: number;
  method: 'caught-up' | 'interpolated' | 'extrapolated' | 'unknown';
}

/** `points` sorted by time; `now` defaults to the last point's time. */
export function lagSeconds(points: readonly OffsetPoint[], committed: number, now?: number): LagTime {
  if (points.length === 0) return { method: 'unknown' };
  const lastP = points[points.length - 1]!;
  const at = now ?? lastP.t;
  if (committed >= lastP.offset) return { seconds: 0, method: 'caught-up' };
  // The first time the latest offset reached beyond `committed` is when the oldest unconsumed message was written.
  for (let i = points.length - 1; i > 0; i--) {
    const a = points[i - 1]!;
    const b = points[i]!;
    if (committed >= a.offset && committed < b.offset) {
      const frac = b.offset === a.offset ? 0 : (committed - a.offset) / (b.offset - a.offset);
      const t = a.t + frac * (b.t - a.t);
      return { seconds: Math.max(0, (at - t) / 1000), method: 'interpolated' };
    }
  }
  const firstP = points[0]!;
  const spanMs = lastP.t - firstP.t;
  const produced = lastP.offset - firstP.offset;
  if (spanMs <= 0 || produced <= 0) return { method: 'unknown' };
  const rate = produced / spanMs;
  const t = firstP.t - (firstP.offset - committed) / rate;
  return { seconds: Math.max(0, (at - t) / 1000), method: 'extrapolated' };
}

/** Appends a point, dropping repeats of the same offset (keeps the earliest time for it) and the oldest beyond `max`. */
export function addPoint(points: OffsetPoint[], p: OffsetPoint, max: number): void {
  const lastP = points[points.length - 1];
  if (lastP && p.offset === lastP.offset && points.length >= 2 && points[points.length - 2]!.offset === p.offset) {
    lastP.t = p.t;
  } else if (!lastP || p.t > lastP.t) {
    points.push({ ...p });
  }
  while (points.length > max) points.shift();
}

// Durations as people write them in YAML ("30s", "500ms", "1m30s", "2h") or as numbers of ms.
// Shared by plugin.yaml (timeouts, health checks) and plugway.yaml.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;

/** Milliseconds, or undefined when `value` is not a duration. Negative numbers are refused. */
export function toDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const s = value.trim().toLowerCase();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  let total = 0;
  let pos = 0;
  PART.lastIndex = 0;
  for (;;) {
    const m = PART.exec(s);
    if (!m) break;
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    pos = PART.lastIndex;
    while (s[pos] === ' ') pos++;
    PART.lastIndex = pos;
  }
  return pos === s.length && pos > 0 ? total : undefined;
}

export function isDuration(value: unknown): boolean {
  return toDurationMs(value) !== undefined;
}

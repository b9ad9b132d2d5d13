// Parses Redis INFO text into flat fields, and the structured lines inside it
// (slaveN, dbN, cmdstat_*, errorstat_*), so checks read numbers, not strings.

export type Info = Record<string, string>;

export function parseInfo(text: string): Info {
  const out: Info = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** A number field, or undefined when absent or not numeric. */
export function num(info: Info, key: string): number | undefined {
  const v = info[key];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** `a=1,b=x` → { a: '1', b: 'x' } (slaveN, dbN, cmdstat_*, errorstat_* values). */
export function parseKv(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

export interface ReplicaLine {
  id: string;
  ip: string;
  port: number;
  state: string;
  offset: number;
  lag: number;
}

export function replicas(info: Info): ReplicaLine[] {
  return Object.keys(info)
    .filter((k) => /^slave\d+$/.test(k))
    .map((k) => {
      const kv = parseKv(info[k]!);
      return { id: k, ip: kv.ip ?? '', port: Number(kv.port ?? 0), state: kv.state ?? '', offset: Number(kv.offset ?? 0), lag: Number(kv.lag ?? 0) };
    });
}

export interface CommandStat {
  calls: number;
  usec: number;
  usecPerCall: number;
  rejected: number;
  failed: number;
}

export function commandStats(info: Info): Record<string, CommandStat> {
  const out: Record<string, CommandStat> = {};
  for (const [k, v] of Object.entries(info)) {
    if (!k.startsWith('cmdstat_')) continue;
    const kv = parseKv(v);
    out[k.slice(8)] = {
      calls: Number(kv.calls ?? 0),
      usec: Number(kv.usec ?? 0),
      usecPerCall: Number(kv.usec_per_call ?? 0),
      rejected: Number(kv.rejected_calls ?? 0),
      failed: Number(kv.failed_calls ?? 0),
    };
  }
  return out;
}

export function errorStats(info: Info): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(info)) {
    if (k.startsWith('errorstat_')) out[k.slice(10)] = Number(parseKv(v).count ?? 0);
  }
  return out;
}

/** Total keys over all databases (the dbN lines of the keyspace section). */
export function totalKeys(info: Info): number {
  let n = 0;
  for (const [k, v] of Object.entries(info)) if (/^db\d+$/.test(k)) n += Number(parseKv(v).keys ?? 0);
  return n;
}

/** Compares dotted versions numerically: <0, 0, >0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

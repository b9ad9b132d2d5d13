// Checklist 12: big keys found by a SCAN of the whole keyspace within a time budget (never KEYS),
// with RedisInsight's size limits; key count, and the number of cached Lua scripts (MEMORY DOCTOR).
import type { Redis } from 'ioredis';
import type { Finding } from 'plugway/sdk';
import type { RedisDiagConfig } from '../config.js';
import { num, parseKv, totalKeys } from '../info.js';
import { cannotRun, finding, type Check } from './types.js';

const SIZE_CMD: Record<string, string> = { string: 'STRLEN', hash: 'HLEN', set: 'SCARD', list: 'LLEN', zset: 'ZCARD', stream: 'XLEN' };

function limitFor(type: string, cfg: RedisDiagConfig): number | undefined {
  return {
    string: cfg.big_string_bytes,
    hash: cfg.big_hash_fields,
    set: cfg.big_set_members,
    list: cfg.big_list_items,
    zset: cfg.big_zset_members,
    stream: cfg.big_stream_entries,
  }[type];
}

export interface BigKey {
  db: number;
  key: string;
  type: string;
  size: number;
  limit: number;
}

const MASK64 = (1n << 64n) - 1n;
/** SCAN visits buckets in the order of their cursor's bits reversed: this is a cursor's position. */
function position(cursor: string): bigint {
  let v = BigInt(cursor) & MASK64;
  let r = 0n;
  for (let i = 0; i < 64; i++) {
    r = (r << 1n) | (v & 1n);
    v >>= 1n;
  }
  return r;
}

/** A cursor at a random position, so that scans cut short by the budget cover a different part each run. */
export function randomCursor(): string {
  const hi = BigInt(Math.floor(Math.random() * 2 ** 32));
  const lo = BigInt(Math.floor(Math.random() * 2 ** 32));
  return ((hi << 32n) | lo).toString();
}

export interface ScanProgress {
  seen: number;
  big: BigKey[];
  complete: boolean;
  start_cursor: string;
}

/** TYPE, then the type's length command, pipelined: two round trips per batch. */
async function bigByPipeline(conn: Redis, db: number, batch: string[], cfg: RedisDiagConfig): Promise<BigKey[]> {
  const types = (await conn.pipeline(batch.map((k) => ['type', k])).exec()) ?? [];
  const typed = batch.map((k, i) => ({ key: k, type: String(types[i]?.[1] ?? 'none') })).filter((x) => SIZE_CMD[x.type]);
  const sizes = (await conn.pipeline(typed.map((x) => [SIZE_CMD[x.type]!.toLowerCase(), x.key])).exec()) ?? [];
  const out: BigKey[] = [];
  typed.forEach((x, i) => {
    const size = Number(sizes[i]?.[1] ?? 0);
    const limit = limitFor(x.type, cfg);
    if (limit !== undefined && size > limit) out.push({ db, key: x.key, type: x.type, size, limit });
  });
  return out;
}

/**
 * The same sizing done by the server in one read-only script call per batch, answering only the
 * keys over their limit: a client-side command per key is what makes a scan of millions slow.
 * The keys go in ARGV (not KEYS) because they are only read, never written, on this one node.
 */
const SIZE_SCRIPT = `local lim = {string=tonumber(ARGV[1]), hash=tonumber(ARGV[2]), set=tonumber(ARGV[3]), list=tonumber(ARGV[4]), zset=tonumber(ARGV[5]), stream=tonumber(ARGV[6])}
local cmd = {string='STRLEN', hash='HLEN', set='SCARD', list='LLEN', zset='ZCARD', stream='XLEN'}
local out = {}
for i = 7, #ARGV do
  local k = ARGV[i]
  local t = redis.call('TYPE', k).ok
  local c = cmd[t]
  if c then
    local n = redis.call(c, k)
    if n > lim[t] then out[#out + 1] = k; out[#out + 1] = t; out[#out + 1] = n end
  end
end
return out`;

async function bigByScript(conn: Redis, db: number, batch: string[], cfg: RedisDiagConfig): Promise<BigKey[]> {
  const limits = [cfg.big_string_bytes, cfg.big_hash_fields, cfg.big_set_members, cfg.big_list_items, cfg.big_zset_members, cfg.big_stream_entries].map(String);
  const flat = (await conn.eval(SIZE_SCRIPT, 0, ...limits, ...batch)) as unknown[];
  const out: BigKey[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const type = String(flat[i + 1]);
    out.push({ db, key: String(flat[i]), type, size: Number(flat[i + 2]), limit: limitFor(type, cfg)! });
  }
  return out;
}

/**
 * Scans one database as redis-cli --bigkeys does (SCAN with COUNT, then TYPE and the type's length
 * command per key, in one script call or two pipelines per batch), from `start` to the end and then from 0 back to `start`, until
 * it has come round, `maxKeys` were seen or the deadline passed.
 */
async function scanDb(conn: Redis, db: number, cfg: RedisDiagConfig, maxKeys: number, deadline: number, start: string, sizer: { lua: boolean }): Promise<ScanProgress> {
  const startPos = position(start);
  let cursor = start;
  let wrapped = start === '0';
  let seen = 0;
  const big = new Map<string, BigKey>();
  let complete = false;
  while (seen < maxKeys && Date.now() < deadline) {
    const [next, keys] = (await conn.scan(cursor, 'COUNT', cfg.scan_count)) as [string, string[]];
    const batch = keys.slice(0, Math.max(0, maxKeys - seen));
    seen += batch.length;
    if (batch.length > 0) {
      let found: BigKey[] | undefined;
      if (sizer.lua) {
        try {
          found = await bigByScript(conn, db, batch, cfg);
        } catch {
          sizer.lua = false; // EVAL denied (ACL, scripts disabled): per-key commands from here on
        }
      }
      for (const b of found ?? (await bigByPipeline(conn, db, batch, cfg))) big.set(b.key, b);
    }
    if (next === '0') {
      if (wrapped) {
        complete = true;
        break;
      }
      wrapped = true;
    } else if (wrapped && start !== '0' && position(next) >= startPos) {
      complete = true;
      break;
    }
    cursor = next;
  }
  return { seen, big: [...big.values()], complete, start_cursor: start };
}

export const keyspaceCheck: Check = async ({ node, info, cfg, plan, metrics }) => {
  const out: Finding[] = [];
  let scanFailed = false;
  const keys = totalKeys(info);
  metrics.keys = keys;
  if (keys > cfg.many_keys) {
    out.push(
      finding(
        'keyspace',
        'info',
        'REDIS_MANY_KEYS',
        `${keys} keys in total (more than ${cfg.many_keys})`,
        { keys, threshold: cfg.many_keys },
        'Many small keys cost memory per key: group related small values into hashes.',
      ),
    );
  }
  const scripts = num(info, 'number_of_cached_scripts') ?? 0;
  if (scripts > cfg.cached_scripts_max) {
    out.push(
      finding(
        'keyspace',
        'warning',
        'REDIS_MANY_CACHED_SCRIPTS',
        `${scripts} Lua scripts are cached`,
        { number_of_cached_scripts: scripts, threshold: cfg.cached_scripts_max },
        'Scripts built with values inside them are cached one per call: pass values as KEYS/ARGV and reuse one script (EVALSHA), or SCRIPT FLUSH.',
      ),
    );
  }
  const dbs = Object.keys(info)
    .filter((k) => /^db\d+$/.test(k) && Number(parseKv(info[k]!).keys ?? 0) > 0)
    .map((k) => Number(k.slice(2)));
  const deadline = Date.now() + cfg.scan_budget_ms;
  let seen = 0;
  let complete = true;
  const big: BigKey[] = [];
  const starts: Record<string, string> = {};
  // Cluster nodes refuse scripts touching keys of other slots than declared: pipelines there.
  const sizer = { lua: cfg.scan_with_script && plan.mode !== 'cluster' };
  const ownDb = plan.base.db ?? 0;
  // A SCAN (or TYPE, SELECT) the ACL denies ends the big-key search, not the check: the key count
  // and scripts findings above stand, and the search says why it stopped.
  try {
    for (const db of dbs) {
      if (seen >= cfg.scan_max_keys || Date.now() >= deadline) {
        complete = false;
        break;
      }
      let conn = node;
      if (db !== ownDb) {
        if (plan.mode === 'cluster') continue;
        conn = node.duplicate({ db, lazyConnect: true });
        conn.on('error', () => {});
      }
      try {
        if (conn !== node) await conn.connect();
        const r = await scanDb(conn, db, cfg, cfg.scan_max_keys - seen, deadline, cfg.scan_from_random_cursor ? randomCursor() : '0', sizer);
        seen += r.seen;
        complete &&= r.complete;
        starts[`db${db}`] = r.start_cursor;
        big.push(...r.big);
      } finally {
        if (conn !== node) conn.disconnect();
      }
    }
  } catch (err) {
    complete = false;
    out.push(cannotRun('keyspace', 'big-key SCAN', err, 'Grant the diagnosing user +scan, +type and the size commands (+strlen +hlen +scard +llen +zcard +xlen) to find big keys.'));
    scanFailed = true;
  }
  metrics.keys_scanned = seen;
  const share = keys > 0 ? Math.min(1, seen / keys) : 1;
  metrics.keys_scanned_ratio = Number(share.toFixed(4));
  if (!complete && !scanFailed) {
    out.push(
      finding(
        'keyspace',
        'info',
        'REDIS_KEYSPACE_SCAN_PARTIAL',
        `The big-key scan covered ${seen} of ${keys} keys (${(share * 100).toFixed(1)}%) before its ${seen >= cfg.scan_max_keys ? `limit of ${cfg.scan_max_keys} keys` : `budget of ${cfg.scan_budget_ms} ms`}: big keys elsewhere were not seen`,
        { scanned: seen, total_keys: keys, share: Number(share.toFixed(4)), scan_budget_ms: cfg.scan_budget_ms, scan_max_keys: cfg.scan_max_keys, start_cursors: starts },
        'Each run starts at a random cursor, so repeated runs cover other parts; for one complete pass raise scan_budget_ms (e.g. --set scan_budget_ms=30000) or run redis-cli --bigkeys on a replica.',
      ),
    );
  }
  if (big.length > 0) {
    big.sort((x, y) => y.size / y.limit - x.size / x.limit);
    out.push(
      finding(
        'keyspace',
        'warning',
        'REDIS_BIG_KEYS',
        `${big.length} big keys among ${seen} scanned${complete ? '' : ` (${(share * 100).toFixed(1)}% of ${keys})`}`,
        { scanned: seen, total_keys: keys, complete, big_keys: big.slice(0, 10) },
        'Big keys make commands slow and memory uneven: split them (e.g. hash buckets), use UNLINK to delete, and avoid whole-key reads (HGETALL, SMEMBERS, LRANGE 0 -1).',
      ),
    );
  }
  return out;
};

// Checklist 12: big keys found by a bounded SCAN (never KEYS) with RedisInsight's size limits,
// key count, and the number of cached Lua scripts (MEMORY DOCTOR).
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

/** Scans one database until its end, `maxKeys` or the deadline; returns the big keys and how many were seen. */
async function scanDb(conn: Redis, db: number, cfg: RedisDiagConfig, maxKeys: number, deadline: number): Promise<{ seen: number; big: BigKey[]; complete: boolean }> {
  let cursor = '0';
  let seen = 0;
  const big: BigKey[] = [];
  do {
    const [next, keys] = (await conn.scan(cursor, 'COUNT', 500)) as [string, string[]];
    cursor = next;
    const batch = keys.slice(0, Math.max(0, maxKeys - seen));
    seen += batch.length;
    if (batch.length > 0) {
      const types = (await conn.pipeline(batch.map((k) => ['type', k])).exec()) ?? [];
      const typed = batch.map((k, i) => ({ key: k, type: String(types[i]?.[1] ?? 'none') })).filter((x) => SIZE_CMD[x.type]);
      const sizes = (await conn.pipeline(typed.map((x) => [SIZE_CMD[x.type]!.toLowerCase(), x.key])).exec()) ?? [];
      typed.forEach((x, i) => {
        const size = Number(sizes[i]?.[1] ?? 0);
        const limit = limitFor(x.type, cfg);
        if (limit !== undefined && size > limit) big.push({ db, key: x.key, type: x.type, size, limit });
      });
    }
  } while (cursor !== '0' && seen < maxKeys && Date.now() < deadline);
  return { seen, big, complete: cursor === '0' };
}

export const keyspaceCheck: Check = async ({ node, info, cfg, plan, metrics }) => {
  const out: Finding[] = [];
  const keys = totalKeys(info);
  metrics.keys = keys;
  if (keys > cfg.many_keys) {
    out.push(finding('keyspace', 'info', 'REDIS_MANY_KEYS', `${keys} keys in total (more than ${cfg.many_keys})`, { keys, threshold: cfg.many_keys },
      'Many small keys cost memory per key: group related small values into hashes.'));
  }
  const scripts = num(info, 'number_of_cached_scripts') ?? 0;
  if (scripts > cfg.cached_scripts_max) {
    out.push(finding('keyspace', 'warning', 'REDIS_MANY_CACHED_SCRIPTS', `${scripts} Lua scripts are cached`, { number_of_cached_scripts: scripts, threshold: cfg.cached_scripts_max },
      'Scripts built with values inside them are cached one per call: pass values as KEYS/ARGV and reuse one script (EVALSHA), or SCRIPT FLUSH.'));
  }
  const dbs = Object.keys(info).filter((k) => /^db\d+$/.test(k) && Number(parseKv(info[k]!).keys ?? 0) > 0).map((k) => Number(k.slice(2)));
  const deadline = Date.now() + cfg.scan_budget_ms;
  let seen = 0;
  let complete = true;
  const big: BigKey[] = [];
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
        const r = await scanDb(conn, db, cfg, cfg.scan_max_keys - seen, deadline);
        seen += r.seen;
        complete &&= r.complete;
        big.push(...r.big);
      } finally {
        if (conn !== node) conn.disconnect();
      }
    }
  } catch (err) {
    complete = false;
    out.push(cannotRun('keyspace', 'big-key SCAN', err, 'Grant the diagnosing user +scan, +type and the size commands (+strlen +hlen +scard +llen +zcard +xlen) to find big keys.'));
  }
  metrics.keys_scanned = seen;
  if (big.length > 0) {
    big.sort((x, y) => y.size / y.limit - x.size / x.limit);
    out.push(finding('keyspace', 'warning', 'REDIS_BIG_KEYS', `${big.length} big keys among ${seen} scanned${complete ? '' : ` (a sample of ${keys})`}`,
      { scanned: seen, total_keys: keys, complete, big_keys: big.slice(0, 10) },
      'Big keys make commands slow and memory uneven: split them (e.g. hash buckets), use UNLINK to delete, and avoid whole-key reads (HGETALL, SMEMBERS, LRANGE 0 -1).'));
  }
  return out;
};

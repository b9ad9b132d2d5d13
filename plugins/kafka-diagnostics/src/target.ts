// Turns a DiagnosticTarget (kafka://h1:9092,h2:9092, kafkas://…, or h1:9092,h2:9092, plus options
// for SASL PLAIN / SCRAM-SHA-256/512 and TLS) into a kafkajs client configuration. The URL's
// query names groups and topics (`?groups=a,b&topics=orders`), as options.groups/topics do.
import { badTargetError, targetOf, type DiagnosticTarget } from 'plugway/sdk';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

export interface KafkaPlan {
  brokers: string[];
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string };
  tls: boolean;
  groups: string[];
  topics?: string[];
  label: string;
  client: KafkaConfig;
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export function planConnection(target: DiagnosticTarget | string, connectTimeout: number, requestTimeout: number): KafkaPlan {
  const t = targetOf(target);
  const raw = String(t.url ?? '').trim();
  const opts = t.options ?? {};
  const bad = (reason: string) => badTargetError('kafka', raw, reason);
  const q = raw.indexOf('?');
  const query = queryLists(q >= 0 ? raw.slice(q + 1) : '', bad);
  let rest = q >= 0 ? raw.slice(0, q) : raw;
  let tls: boolean | Record<string, unknown> | undefined = t.tls;
  let username = t.username;
  let password = t.password;
  const scheme = /^([a-z+]+):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme) {
    if (!['kafka', 'kafkas', 'kafka+ssl'].includes(scheme)) throw bad(`unknown scheme "${scheme}://" (use kafka:// or kafkas://)`);
    if (scheme !== 'kafka') tls ??= true;
    rest = rest.slice(scheme.length + 3).replace(/\/.*$/, '');
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      const cred = rest.slice(0, at);
      rest = rest.slice(at + 1);
      const c = cred.indexOf(':');
      username ??= decodeURIComponent(c >= 0 ? cred.slice(0, c) : cred);
      if (c >= 0) password ??= decodeURIComponent(cred.slice(c + 1));
    }
  }
  const brokers = rest
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
    .map((b) => (/:\d+$/.test(b) ? b : `${b}:9092`));
  if (brokers.length === 0) throw bad('give at least one broker, e.g. kafka://localhost:9092');
  for (const b of brokers) if (!/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(b)) throw bad(`"${b}" is not host:port`);
  let sasl: SASLOptions | undefined;
  const saslOpt = (opts.sasl ?? {}) as Record<string, unknown>;
  const mechanism = String(saslOpt.mechanism ?? (username ? 'plain' : '')).toLowerCase();
  if (mechanism) {
    if (!(MECHANISMS as readonly string[]).includes(mechanism)) throw bad(`options.sasl.mechanism must be one of ${MECHANISMS.join(', ')}`);
    const user = String(saslOpt.username ?? username ?? '');
    const pass = String(saslOpt.password ?? password ?? '');
    if (!user) throw bad('SASL needs a username (target.username or options.sasl.username)');
    sasl = { mechanism: mechanism as 'plain', username: user, password: pass };
  }
  const ssl = tls === true ? true : tls && typeof tls === 'object' ? (tls as KafkaConfig['ssl']) : undefined;
  const groups = [...new Set([...(Array.isArray(opts.groups) ? opts.groups.map(String) : []), ...query.groups])];
  const optTopics = Array.isArray(opts.topics) ? opts.topics.map(String) : undefined;
  const topics = optTopics || query.topics.length ? [...new Set([...(optTopics ?? []), ...query.topics])] : undefined;
  const label = `${ssl ? 'kafkas' : 'kafka'}://${brokers.join(',')}`;
  return {
    brokers,
    sasl: sasl ? { mechanism: sasl.mechanism as 'plain', username: (sasl as { username: string }).username } : undefined,
    tls: !!ssl,
    groups,
    topics,
    label,
    client: {
      clientId: typeof opts.clientId === 'string' ? opts.clientId : 'plugway-kafka-diagnostics',
      brokers,
      connectionTimeout: connectTimeout,
      requestTimeout: requestTimeout,
      // Several attempts: each picks a random seed broker, so one broker down does not block the diagnosis.
      retry: { retries: 4, initialRetryTime: 50, maxRetryTime: 300 },
      ...(ssl ? { ssl } : {}),
      ...(sasl ? { sasl } : {}),
    },
  };
}

const QUERY_KEYS = ['groups', 'topics'] as const;

/** `groups=a,b&topics=orders` (each repeatable, comma lists); any other key is refused, not dropped. */
function queryLists(query: string, bad: (reason: string) => Error): Record<(typeof QUERY_KEYS)[number], string[]> {
  const out = { groups: [] as string[], topics: [] as string[] };
  for (const [key, value] of new URLSearchParams(query)) {
    if (!(QUERY_KEYS as readonly string[]).includes(key)) throw bad(`unknown query parameter "${key}" (known: ${QUERY_KEYS.join(', ')}, e.g. ?groups=billing,orders)`);
    out[key as (typeof QUERY_KEYS)[number]].push(
      ...value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    );
  }
  return out;
}

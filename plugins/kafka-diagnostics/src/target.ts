// Turns a DiagnosticTarget (kafka://h1:9092,h2:9092, kafkas://…, or h1:9092,h2:9092, plus options
// for SASL PLAIN / SCRAM-SHA-256/512 and TLS) into a kafkajs client configuration.
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
  let rest = raw;
  let tls: boolean | Record<string, unknown> | undefined = t.tls;
  let username = t.username;
  let password = t.password;
  const scheme = /^([a-z+]+):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme) {
    if (!['kafka', 'kafkas', 'kafka+ssl'].includes(scheme)) throw bad(`unknown scheme "${scheme}://" (use kafka:// or kafkas://)`);
    if (scheme !== 'kafka') tls ??= true;
    rest = raw.slice(scheme.length + 3).replace(/\/.*$/, '');
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      const cred = rest.slice(0, at);
      rest = rest.slice(at + 1);
      const c = cred.indexOf(':');
      username ??= decodeURIComponent(c >= 0 ? cred.slice(0, c) : cred);
      if (c >= 0) password ??= decodeURIComponent(cred.slice(c + 1));
    }
  }
  const brokers = rest.split(',').map((b) => b.trim()).filter(Boolean).map((b) => (/:\d+$/.test(b) ? b : `${b}:9092`));
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
  const groups = Array.isArray(opts.groups) ? opts.groups.map(String) : [];
  const topics = Array.isArray(opts.topics) ? opts.topics.map(String) : undefined;
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

// Turns a DiagnosticTarget (postgres://user:pass@host:port/db?sslmode=…, or host:port) into pg
// client options with auth and TLS; the printable form never shows the password.
import { parseTargetUrl, type DiagnosticTarget } from 'plugway/sdk';
import type { ClientConfig } from 'pg';

export interface ParsedTarget {
  options: ClientConfig;
  display: string;
}

export function parseTarget(target: DiagnosticTarget | string, connectTimeoutMs: number, statementTimeoutMs: number): ParsedTarget {
  const {
    target: t,
    url,
    endpoint,
  } = parseTargetUrl(target, {
    system: 'postgres',
    schemes: ['postgres', 'postgresql'],
    example: 'postgres://postgres@127.0.0.1:5432/postgres',
    defaults: { user: 'postgres', port: 5432, database: 'postgres' },
  });
  const { host, port, user, password, database } = endpoint;
  const sslmode = url.searchParams.get('sslmode');
  let ssl: ClientConfig['ssl'];
  if (t.tls && typeof t.tls === 'object') ssl = t.tls as ClientConfig['ssl'];
  else if (t.tls === true || sslmode === 'require' || sslmode === 'verify-ca' || sslmode === 'verify-full') {
    ssl = sslmode === 'require' ? { rejectUnauthorized: false } : {};
  }
  return {
    options: {
      host,
      port,
      user,
      password,
      database,
      ssl,
      connectionTimeoutMillis: t.timeoutMs ?? connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      application_name: 'plugway-diagnostics',
    },
    display: `${user}@${host}:${port}/${database}`,
  };
}

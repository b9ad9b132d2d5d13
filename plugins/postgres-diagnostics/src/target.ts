// Turns a DiagnosticTarget (postgres://user:pass@host:port/db?sslmode=…, or host:port) into pg
// client options with auth and TLS; the printable form never shows the password.
import { parseTargetUrl, type DiagnosticTarget } from 'plugway/sdk';
import type { ClientConfig } from 'pg';

export interface ParsedTarget {
  options: ClientConfig;
  display: string;
}

export function parseTarget(target: DiagnosticTarget | string, connectTimeoutMs: number, statementTimeoutMs: number): ParsedTarget {
  const { target: t, url } = parseTargetUrl(target, { system: 'postgres', schemes: ['postgres', 'postgresql'], example: 'postgres://postgres@127.0.0.1:5432/postgres' });
  const user = t.username ?? (url.username ? decodeURIComponent(url.username) : 'postgres');
  const password = t.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const database = (t.options?.database as string | undefined) ?? (url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : 'postgres');
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = url.port ? Number(url.port) : 5432;
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

// Turns a DiagnosticTarget (postgres://user:pass@host:port/db?sslmode=…, or host:port) into pg
// client options with auth and TLS; the printable form never shows the password.
import type { DiagnosticTarget } from 'plugway/sdk';
import type { ClientConfig } from 'pg';
import { DiagnosticsError } from './errors.js';

export interface ParsedTarget {
  options: ClientConfig;
  display: string;
}

export function parseTarget(target: DiagnosticTarget | string, connectTimeoutMs: number, statementTimeoutMs: number): ParsedTarget {
  const t: DiagnosticTarget = typeof target === 'string' ? { url: target } : target;
  if (!t || typeof t.url !== 'string' || t.url.trim() === '') {
    throw new DiagnosticsError('PLW_ERR_DIAG_BAD_TARGET', `"${String(t?.url)}" is not a valid postgres target: give a URL such as postgres://postgres@127.0.0.1:5432/postgres or host:port`);
  }
  const raw = t.url.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `postgres://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DiagnosticsError('PLW_ERR_DIAG_BAD_TARGET', `"${raw}" is not a valid postgres target: it does not parse as a URL`);
  }
  if (!['postgres:', 'postgresql:'].includes(url.protocol)) {
    throw new DiagnosticsError('PLW_ERR_DIAG_BAD_TARGET', `"${raw}" is not a valid postgres target: scheme ${url.protocol} is not postgres:// or postgresql://`);
  }
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

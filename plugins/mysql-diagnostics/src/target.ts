// Turns a DiagnosticTarget (mysql://user:pass@host:port/db, mariadb://…, or host:port) into
// mysql2 connection options, with auth and TLS; the printable form never shows the password.
import type { DiagnosticTarget } from 'plugway/sdk';
import type { ConnectionOptions } from 'mysql2/promise';
import { DiagnosticsError } from './errors.js';

export interface ParsedTarget {
  options: ConnectionOptions;
  /** user@host:port/db without the password. */
  display: string;
}

export function parseTarget(target: DiagnosticTarget | string, connectTimeoutMs: number): ParsedTarget {
  const t: DiagnosticTarget = typeof target === 'string' ? { url: target } : target;
  if (!t || typeof t.url !== 'string' || t.url.trim() === '') {
    throw new DiagnosticsError('PLW_ERR_DIAG_BAD_TARGET', `"${String(t?.url)}" is not a valid mysql target: give a URL such as mysql://root@127.0.0.1:3306/test or host:port`);
  }
  const raw = t.url.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `mysql://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new DiagnosticsError('PLW_ERR_DIAG_BAD_TARGET', `"${raw}" is not a valid mysql target: it does not parse as a URL`);
  }
  if (!['mysql:', 'mariadb:', 'mysqlx:'].includes(url.protocol)) {
    throw new DiagnosticsError('PLW_ERR_DIAG_BAD_TARGET', `"${raw}" is not a valid mysql target: scheme ${url.protocol} is not mysql:// or mariadb://`);
  }
  const user = t.username ?? (url.username ? decodeURIComponent(url.username) : 'root');
  const password = t.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const database = (t.options?.database as string | undefined) ?? (url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined);
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = url.port ? Number(url.port) : 3306;
  const sslParam = url.searchParams.get('ssl') ?? url.searchParams.get('tls');
  let ssl: ConnectionOptions['ssl'];
  // Like MySQL's --ssl-mode: "required" encrypts without verifying the certificate; "true" or
  // "verify" (and tls: true) also verify it against the system CAs; tls: {...} gives node:tls options.
  if (t.tls && typeof t.tls === 'object') ssl = t.tls as ConnectionOptions['ssl'];
  else if (sslParam === 'required' || sslParam === 'require') ssl = { rejectUnauthorized: false };
  else if (t.tls === true || sslParam === 'true' || sslParam === 'verify') ssl = {};
  const options: ConnectionOptions = {
    host,
    port,
    user,
    password,
    database,
    ssl,
    connectTimeout: t.timeoutMs ?? connectTimeoutMs,
    socketPath: t.options?.socketPath as string | undefined,
    // Status values can exceed 2^53 on busy servers; strings keep them exact until we read them.
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    multipleStatements: false,
  };
  return { options, display: `${user}@${host}:${port}${database ? `/${database}` : ''}` };
}

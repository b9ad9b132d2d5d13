// Turns a DiagnosticTarget (mysql://user:pass@host:port/db, mariadb://…, or host:port) into
// mysql2 connection options, with auth and TLS; the printable form never shows the password.
import { parseTargetUrl, type DiagnosticTarget } from 'plugway/sdk';
import type { ConnectionOptions } from 'mysql2/promise';

export interface ParsedTarget {
  options: ConnectionOptions;
  /** user@host:port/db without the password. */
  display: string;
}

export function parseTarget(target: DiagnosticTarget | string, connectTimeoutMs: number): ParsedTarget {
  const {
    target: t,
    url,
    endpoint,
  } = parseTargetUrl(target, {
    system: 'mysql',
    schemes: ['mysql', 'mariadb', 'mysqlx'],
    example: 'mysql://root@127.0.0.1:3306/test',
    defaults: { user: 'root', port: 3306 },
  });
  const { host, port, user, password, database } = endpoint;
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

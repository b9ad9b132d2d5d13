// Reading a DiagnosticTarget: a bare string is a target with only a url; a single-host URL
// (mysql://, postgres://, or host:port) parses with URL() once its scheme is known.
import type { DiagnosticTarget } from './diagnostics.js';
import { badTargetError } from './diagnostics-errors.js';

/** A string is `{ url }`; a target object is returned as it is. */
export function targetOf(target: DiagnosticTarget | string): DiagnosticTarget {
  return typeof target === 'string' ? { url: target } : target;
}

export interface TargetUrlSpec {
  /** For messages: "mysql", "postgres". */
  system: string;
  /** Accepted schemes without "://"; the first is assumed for a bare host:port. */
  schemes: readonly string[];
  /** An example URL for messages, e.g. postgres://postgres@127.0.0.1:5432/postgres. */
  example: string;
  /** What a URL without them means. */
  defaults: { user: string; port: number; database?: string; host?: string };
}

/** Where to connect and as whom: the target's username/password/options.database over the URL's. */
export interface TargetEndpoint {
  host: string;
  port: number;
  user: string;
  password?: string;
  database?: string;
}

/**
 * The target, its URL and endpoint, for systems with one host per target. Throws
 * PLW_ERR_DIAG_BAD_TARGET for an empty url, one that does not parse, or a scheme not in `spec.schemes`.
 */
export function parseTargetUrl(target: DiagnosticTarget | string, spec: TargetUrlSpec): { target: DiagnosticTarget; url: URL; raw: string; endpoint: TargetEndpoint } {
  const t = targetOf(target);
  if (!t || typeof t.url !== 'string' || t.url.trim() === '') {
    throw badTargetError(spec.system, String(t?.url), `give a URL such as ${spec.example} or host:port`);
  }
  const raw = t.url.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${spec.schemes[0]}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw badTargetError(spec.system, raw, 'it does not parse as a URL');
  }
  if (!spec.schemes.includes(url.protocol.slice(0, -1))) {
    const names = spec.schemes.map((s) => `${s}://`);
    const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
    throw badTargetError(spec.system, raw, `scheme ${url.protocol} is not ${list}`);
  }
  const endpoint: TargetEndpoint = {
    host: url.hostname.replace(/^\[|\]$/g, '') || (spec.defaults.host ?? '127.0.0.1'),
    port: url.port ? Number(url.port) : spec.defaults.port,
    user: t.username ?? (url.username ? decodeURIComponent(url.username) : spec.defaults.user),
    password: t.password ?? (url.password ? decodeURIComponent(url.password) : undefined),
    database: (t.options?.database as string | undefined) ?? (url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : spec.defaults.database),
  };
  return { target: t, url, raw, endpoint };
}

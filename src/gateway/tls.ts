// gateway.tls: the HTTPS (optionally HTTP/2) listener's certificate and key, read from files and
// swapped in without a restart when the files change or on SIGHUP; a bad pair keeps the old one serving.

import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { PlugwayError, reasonOf } from '../errors.js';
import type { HostConfig } from '../host/config-types.js';

export type TlsSettings = NonNullable<HostConfig['gateway']['tls']>;

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the pair (a key that does not match the certificate is refused here, not at the first handshake). */
export function readTlsMaterial(tls: TlsSettings): TlsMaterial {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new PlugwayError('PLW_ERR_TLS_INVALID', { file, reason: `cannot read the ${what}: ${reasonOf(err)}` });
    }
  };
  const material = { cert: read(tls.cert, 'certificate (gateway.tls.cert)'), key: read(tls.key, 'private key (gateway.tls.key)') };
  try {
    createSecureContext(material);
  } catch (err) {
    throw new PlugwayError('PLW_ERR_TLS_INVALID', { file: `${tls.cert}, ${tls.key}`, reason: `not a usable certificate and key: ${reasonOf(err)}` });
  }
  return material;
}

/** Fastify server options for the listener: https, and http2 (with HTTP/1.1 still accepted) when asked. */
export function tlsServerOptions(tls: TlsSettings): Record<string, unknown> {
  const m = readTlsMaterial(tls);
  return tls.http2 ? { http2: true, https: { ...m, allowHTTP1: true } } : { https: m };
}

interface SecureServer {
  setSecureContext(options: TlsMaterial): void;
}

/** Swaps the served certificate; throws PLW_ERR_TLS_INVALID (and the old pair keeps serving) when the files are bad. */
export function reloadTls(server: unknown, tls: TlsSettings): void {
  const m = readTlsMaterial(tls);
  (server as SecureServer).setSecureContext(m);
}

/** Watches the certificate and key files; each settled change reloads them (renewals write both, often by rename). */
export function watchTls(server: unknown, tls: TlsSettings, logger: Logger, onReload?: (ok: boolean, err?: PlugwayError) => void): () => Promise<void> {
  const watcher: FSWatcher = watch([tls.cert, tls.key], { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 25 } });
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    // cert and key are usually written one after the other: reload once both settled.
    timer = setTimeout(() => {
      try {
        reloadTls(server, tls);
        logger.info({ cert: tls.cert }, 'TLS certificate reloaded');
        onReload?.(true);
      } catch (err) {
        logger.error({ err: { code: (err as PlugwayError).code, message: reasonOf(err) } }, 'TLS certificate not reloaded; the previous one keeps serving');
        onReload?.(false, err as PlugwayError);
      }
    }, 150);
  };
  watcher.on('add', fire).on('change', fire);
  return async () => {
    clearTimeout(timer);
    await watcher.close();
  };
}

// Test helpers for remote plugins: real upstream HTTP servers on loopback (the "services"), and a
// host + gateway serving a remote plugin in front of them.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RemoteSpec } from '../../src/manifest/remote.js';
import type { EndpointSpec, PluginManifest } from '../../src/manifest/types.js';
import type { Host } from '../../src/host/types.js';
import { makeHost, startGateway, testConfig, type RunningGateway } from '../gateway/helpers.js';
import type { HostConfig } from '../../src/host/config-types.js';

export interface Upstream {
  name: string;
  url: string;
  server: Server;
  hits: number;
  /** Stops listening and cuts every open connection (a crashed service). */
  kill(): Promise<void>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, up: Upstream) => void;

/** An upstream that answers `{ upstream: name, method, url, headers }` unless given a handler. */
export async function startUpstream(name: string, handler?: Handler, server: Server = createServer()): Promise<Upstream> {
  const up: Upstream = {
    name,
    url: '',
    server,
    hits: 0,
    kill: async () => {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
    close: async () => {
      server.closeAllConnections?.();
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health') {
      res.end('ok');
      return;
    }
    up.hits++;
    if (handler) return handler(req, res, up);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-upstream', name);
      res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const proto = 'cert' in server ? 'https' : 'http';
  up.url = `${proto}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return up;
}

export function remoteManifest(
  id: string,
  remote: Partial<RemoteSpec>,
  opts: { endpoints?: Array<Partial<EndpointSpec> & { path: string }>; healthCheck?: PluginManifest['healthCheck']; version?: string } = {},
): Partial<PluginManifest> {
  const m: Partial<PluginManifest> = {
    version: opts.version ?? '1.0.0',
    runtime: { type: 'remote', instances: 1, remote: remote as RemoteSpec },
    endpoints: (opts.endpoints ?? [{ path: '/svc/*', method: 'GET' }]) as EndpointSpec[],
  };
  if (opts.healthCheck) m.healthCheck = opts.healthCheck;
  return m;
}

export interface Served {
  host: Host;
  gw: RunningGateway;
  close(): Promise<void>;
}

/** A host with the remote plugin `id` (and any others) and a gateway in front of it. */
export async function serveRemote(
  id: string,
  manifest: Partial<PluginManifest>,
  config: HostConfig = testConfig(),
  extra: Array<{ id: string; plugin: unknown; manifest?: Partial<PluginManifest> }> = [],
): Promise<Served> {
  const host = await makeHost([{ id, plugin: undefined, manifest }, ...extra], config);
  const gw = await startGateway(host);
  return {
    host,
    gw,
    close: async () => {
      await gw.close();
      await host.stop();
    },
  };
}

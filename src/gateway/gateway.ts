// createGateway(): the Fastify application that serves a host's plugins — standalone, or
// mounted under a prefix in an existing Fastify app. Wires the pipeline, admin API,
// /health, /ready, /metrics, desired state, the audit log and releases (kept versions, hot_reload).

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { Redis } from 'ioredis';
import { join } from 'node:path';
import { PlugwayError, reasonOf } from '../errors.js';
import type { Host } from '../host/types.js';
import type { HostConfig } from '../host/config-types.js';
import { AuditLog } from '../state/audit-log.js';
import { resolveAdminToken, tokenDigest, tokenExposure, type AdminTokenResolution } from '../state/admin-token.js';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createStateStore } from '../state/create-store.js';
import { lockStateDir } from '../state/state-lock.js';
import type { StateStore } from '../state/types.js';
import { registerAdmin } from './admin.js';
import { registerDashboard } from './dashboard/index.js';
import { registerSeedAliases } from './admin/seed-aliases.js';
import { GatewayCore } from './core.js';
import { failureFromFastify } from './http-errors.js';
import { createRequestLogger } from './logging.js';
import { GatewayMetrics } from './metrics.js';
import { FastifyExchange, RequestEntry } from './request-entry.js';
import { FastPath } from './fast-path.js';
import { writeClientError } from './client-errors.js';
import { applyConnectionLimits, PerClientLimit, serverTimeouts } from './connection-limits.js';
import { metricsHook, startMetricsListener } from './metrics-endpoint.js';
import { requestIdOf } from './request-id.js';
import { followDesiredState } from './state-sync.js';
import { upgradeThroughRoutes } from './upgrade.js';
import { wireReleases, type ReleaseWiring } from './release-wiring.js';
import { reloadTls, tlsServerOptions, watchTls } from './tls.js';
import { joinCluster, type ClusterNode } from '../cluster/index.js';
import { followCluster } from '../cluster/follow.js';
import { Operator } from './operator.js';
import { WebSocketGateway } from './websocket/server.js';
import { ProtocolServers } from './protocol/tcp-server.js';
import { AlertEngine } from './alerts/engine.js';

export interface GatewayOptions {
  host: Host;
  /** Defaults to host.config. */
  config?: HostConfig;
  /** The request logger (one line per request). Default: pino JSON to stdout. */
  logger?: Logger;
  /** Where the default request logger writes (tests pass a stream). */
  logDestination?: DestinationStream;
  /** Defaults to config.state.dir. */
  stateDir?: string;
  /** A desired-state store the caller owns (and closes); default createStateStore(config). */
  store?: StateStore;
  /** An existing Fastify app to mount plugway in (under `prefix`); a new one otherwise. */
  app?: FastifyInstance;
  prefix?: string;
  /** Environment for PLUGWAY_ADMIN_TOKEN (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface GatewayHandle {
  core: GatewayCore;
  metrics: GatewayMetrics;
  store: StateStore;
  audit: AuditLog;
  adminToken: AdminTokenResolution;
  stateDir: string;
  prefix: string;
  /** Where /metrics is served when gateway.metrics.port gives it a listener of its own (set once listening). */
  metricsUrl?: string;
  /** With gateway.tls: re-reads the certificate and key now (throws PLW_ERR_TLS_INVALID; the old pair keeps serving). */
  reloadTls?: () => void;
  /** This node in the cluster's node list (state.store: etcd); undefined for a single node. */
  cluster?: ClusterNode;
  /** WebSocket endpoints (docs/websocket.md). */
  websockets: WebSocketGateway;
  /** TCP listeners of protocol plugins (docs/protocol-plugins.md). */
  protocols: ProtocolServers;
  /** Alert rules and their state (docs/alerts.md). */
  alerts: AlertEngine;
}

const handles = new WeakMap<FastifyInstance, GatewayHandle>();

/** The plugway parts behind a Fastify instance returned by createGateway. */
export function gatewayOf(app: FastifyInstance): GatewayHandle {
  const h = handles.get(app);
  if (!h) throw new Error('not a plugway gateway (use the instance createGateway returned)');
  return h;
}

/** Applies the persisted enabled/disabled choices to the host. */
export async function applyDesiredState(host: Host, store: StateStore, logger?: Logger): Promise<void> {
  const state = store.snapshot();
  for (const [id, want] of Object.entries(state.plugins)) {
    if (!host.get(id)) continue;
    try {
      if (!want.enabled && host.isEnabled(id)) await host.disable(id);
      else if (want.enabled && !host.isEnabled(id)) await host.enable(id);
    } catch (err) {
      logger?.warn({ plugin_id: id, err: { message: reasonOf(err) } }, 'could not apply the stored desired state');
    }
  }
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export async function createGateway(opts: GatewayOptions): Promise<FastifyInstance> {
  // One gateway process per state dir (token, desired state, audit, versions): a second one fails here.
  const lock = await lockStateDir(opts.stateDir ?? (opts.config ?? opts.host.config).state.dir);
  try {
    const app = await buildGateway(opts);
    app.addHook('onClose', () => lock.release());
    return app;
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function buildGateway(opts: GatewayOptions): Promise<FastifyInstance> {
  const host = opts.host;
  const config = opts.config ?? host.config;
  const logger = opts.logger ?? createRequestLogger({ level: config.logging.level, destination: opts.logDestination, redact: config.logging.redact, timestamp: config.logging.timestamp });
  const stateDir = opts.stateDir ?? config.state.dir;
  // Read first: unreadable or mismatched files fail here, before anything is opened.
  const tls = opts.app ? undefined : config.gateway.tls;
  const tlsOptions = tls ? tlsServerOptions(tls) : {};
  const prefix = opts.prefix ? `/${opts.prefix.replace(/^\/+|\/+$/g, '')}` : '';

  const store = opts.store ?? createStateStore(config, { dir: stateDir, logger });
  try {
    await store.load();
  } catch (err) {
    if (!opts.store) await store.close?.();
    throw err;
  }
  const audit = new AuditLog(stateDir);
  const adminToken = await resolveAdminToken({ stateDir, configToken: config.gateway.admin.token, env: opts.env });
  // A token plugin code can read from this process's environment is never accepted: the digest of
  // a random token stands in for it, and presenting it gets PLW_ERR_ADMIN_TOKEN_EXPOSED.
  const exposure = tokenExposure(adminToken.token);
  const digest = tokenDigest(exposure ? randomBytes(32).toString('hex') : adminToken.token);
  const exposed = exposure ? { digest: tokenDigest(adminToken.token), where: exposure } : undefined;
  if (exposure) logger.error({ code: 'PLW_ERR_ADMIN_TOKEN_EXPOSED', where: exposure }, `the admin token is readable by plugins (${exposure}); the admin API refuses it`);
  // Only the digest is kept for a token from the environment (the handle keeps the raw one only
  // when it is the state dir's file, which holds it anyway).
  if (adminToken.source === 'env') adminToken.token = '';

  let redis: Redis | undefined;
  if (config.gateway.rateLimit.store === 'redis') {
    // Loaded only here: ioredis is ~50 ms of every start-up otherwise.
    const { Redis } = await import('ioredis');
    redis = new Redis(config.gateway.rateLimit.redisUrl ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', (err) => logger.warn({ err: { message: err.message } }, 'rate limit redis error'));
    try {
      await redis.connect();
    } catch (err) {
      logger.warn({ err: { message: reasonOf(err) } }, 'rate limit redis unreachable; limits are per node (memory) until it answers');
    }
  }

  let metrics!: GatewayMetrics;
  let core!: GatewayCore;
  metrics = new GatewayMetrics(host, (id) => core?.circuitState(id));
  core = new GatewayCore({ host, config, metrics, logger, redis });

  await applyDesiredState(host, store, logger);
  // A shared store (etcd) delivers changes made on other nodes.
  // A version pinned on another node is applied here once releases are wired (versions attached).
  let releasesWired!: () => void;
  const wired = new Promise<void>((r) => (releasesWired = r));
  let cluster: ClusterNode | undefined;
  const unfollow = followDesiredState(host, store, {
    logger,
    ...followCluster({ host, logger, wired, problem: (p) => cluster?.problem(p), routesChanged: (why) => core.routesChanged(why) }),
  });
  try {
    core.rebuild(); // start-up: a route conflict or a missing auth provider throws here
  } catch (err) {
    unfollow();
    if (!opts.store) await store.close?.();
    throw err;
  }
  const offs = ['plugin.state_changed', 'plugin.registered', 'plugin.unregistered'].map((type) => host.events.on(type, () => core.routesChanged(type)));
  offs.push(host.hooks.onChange(() => core.routesChanged('hooks changed')));

  try {
    cluster = await joinCluster({
      host,
      store,
      logger,
      metrics: metrics.registry,
      discover: async () => (await import('./admin/discover-routes.js')).discoverPlugins(core),
      changed: (why) => core.routesChanged(why),
    });
  } catch (err) {
    for (const off of offs) off();
    unfollow();
    if (!opts.store) await store.close?.();
    throw err;
  }

  // Releases live here, not in the admin API: kept versions, the pinned version restored at start,
  // routes rebuilt on every switch and the hot_reload watcher work with the admin API turned off too.
  const operator = new Operator(core, store, audit);
  // Alerts: evaluated on a timer, off the request path (docs/alerts.md).
  const alerts = new AlertEngine({ host, registry: metrics.registry, logger, circuitState: (id) => core.circuitState(id), config: config.alerts, node: cluster?.nodeId });
  let wiring: ReleaseWiring;
  try {
    wiring = await wireReleases(host.releases, { core, operator, stateDir });
  } catch (err) {
    for (const off of offs) off();
    await cluster?.close();
    unfollow();
    if (!opts.store) await store.close?.();
    throw err;
  }

  releasesWired();
  // Before this node serves: it installs and runs what the cluster deployed.
  try {
    await cluster?.deploys?.start();
  } catch (err) {
    for (const off of offs) off();
    await wiring?.close();
    await cluster?.close();
    unfollow();
    if (!opts.store) await store.close?.();
    throw err;
  }

  const bodyLimit = config.gateway.bodyLimit;
  // Errors Fastify raises before a handler (body parsing, limits, a malformed URL): the gateway's
  // error body with a code and the request id, one log line, counted on the route when there is one.
  const entry = new RequestEntry(core, prefix);
  const onFrameworkError = (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const f = failureFromFastify(err as { code?: string; statusCode?: number; message?: string }, bodyLimit);
    entry.refuseEarly(request.method, request.url, request.headers, new FastifyExchange(request, reply), f);
  };
  // Slow-client defences (docs/security.md): Node's own timeouts and header limit, connections
  // overall and per client, the body idle guard. An embedder's app keeps its own server settings.
  const limits = config.gateway.limits;
  const perClient = opts.app ? undefined : new PerClientLimit(limits.maxConnectionsPerIp, config.gateway.trustProxy);
  // Standalone, plugin routes are served on node:http directly (fast-path.ts); an embedder's app keeps Fastify for everything.
  // With gateway.tls Fastify makes the https / http2 server itself (the fast path is node:http only, for now).
  const fast = opts.app || tls ? undefined : new FastPath(entry, perClient?.gate);
  const app =
    opts.app ??
    Fastify({
      ...(fast ? { serverFactory: fast.serverFactory } : {}),
      logger: false,
      bodyLimit,
      return503OnClosing: true,
      routerOptions: { ignoreTrailingSlash: true },
      // A malformed URL (bad percent-encoding) never reaches a route's error handler. An app that
      // embeds plugway keeps its own frameworkErrors, parser error answers and server limits.
      frameworkErrors: onFrameworkError,
      // Parser errors (a malformed header, headers over the limit, a request not received in time).
      clientErrorHandler: (err, socket) =>
        writeClientError(err as NodeJS.ErrnoException, socket, { maxHeaderSize: limits.maxHeaderBytes, requestTimeoutMs: limits.requestTimeoutMs, headersTimeoutMs: limits.headersTimeoutMs }),
      ...serverTimeouts(limits),
      // HTTPS / HTTP/2 (gateway.tls): request and reply keep the shapes the pipeline uses.
      ...(tlsOptions as object),
    });
  if (perClient) applyConnectionLimits(app, limits, perClient);

  await app.register(
    async (scope) => {
      // Any content type reaches plugins: JSON parsed, text as a string, the rest as bytes.
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

      scope.setErrorHandler(onFrameworkError);

      // The gateway's own routes echo a request id too (plugin routes do it in the pipeline, admin routes in theirs).
      const echoRequestId = async (request: FastifyRequest, reply: FastifyReply) => {
        reply.header('x-request-id', requestIdOf(request.headers['x-request-id']));
      };
      scope.get('/health', { onRequest: echoRequestId }, async () => ({ status: 'ok', uptime_s: Math.round(process.uptime()) }));
      scope.get('/ready', { onRequest: echoRequestId }, async (_req, reply) => {
        const waiting = core
          .plugins()
          .filter((p) => (core.overrides(p.id)?.required ?? true) && host.isEnabled(p.id) && p.state !== 'running')
          .map((p) => ({ id: p.id, state: p.state, ...(p.error ? { error: p.error.code } : {}) }));
        reply.code(waiting.length ? 503 : 200);
        return waiting.length ? { status: 'not_ready', waiting } : { status: 'ready' };
      });
      // With a listener of its own (gateway.metrics.port), /metrics is not served here at all.
      if (config.gateway.metrics.port === undefined) {
        scope.get('/metrics', { onRequest: metricsHook(config.gateway.metrics) }, async (_req, reply) => {
          reply.header('content-type', metrics.registry.contentType);
          return metrics.text();
        });
      }

      if (config.gateway.admin.enabled) {
        const allowedHosts = config.gateway.admin.allowedHosts;
        await scope.register(
          async (admin) =>
            registerAdmin(admin, {
              core,
              store,
              audit,
              tokenDigest: digest,
              operator,
              cluster,
              alerts,
              allowedHosts,
              openWebSockets: (id) => handles.get(app)?.websockets.openConnections(id) ?? 0,
              ...(exposed ? { exposed } : {}),
            }),
          { prefix: '/admin' },
        );
        registerDashboard(scope, allowedHosts); // GET /dashboard: a page over the admin API, off with it
        registerSeedAliases(scope, `${prefix}/admin`); // CovetPy's /_plugins routes, forwarded to /admin
      }

      const handler = (request: FastifyRequest, reply: FastifyReply) => entry.handleFastify(request, reply);
      // In an embedder's app, routes whose plugin streams the body (remote proxies) are served before
      // Fastify reads it; standalone, the fast path serves them (fast-path.ts).
      const onRequest = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        if (!core.streaming || !entry.handleStreaming(request, reply)) done();
      };
      const streaming = fast ? {} : { onRequest };
      scope.route({ method: [...ALL_METHODS], url: '/*', bodyLimit, ...streaming, handler });
      scope.route({ method: [...ALL_METHODS], url: '/', bodyLimit, ...streaming, handler });
    },
    { prefix },
  );

  let metricsServer: Server | undefined;
  const metricsPort = config.gateway.metrics.port;
  if (metricsPort !== undefined) {
    // Opened with the gateway's own listener (and closed with it).
    app.addHook('onListen', async () => {
      if (metricsServer) return;
      const l = await startMetricsListener(metrics, { ...config.gateway.metrics, port: metricsPort }, config.gateway.host);
      metricsServer = l.server;
      handles.get(app)!.metricsUrl = l.url;
    });
  }
  // Certificates renewed on disk are served without a restart (SIGHUP does the same through serve).
  const tlsHandle = tls
    ? {
        reload: () => {
          reloadTls(app.server, tls);
          void host.events.emit('gateway.tls_reloaded', { cert: tls.cert }, 'plugway').catch(() => undefined);
        },
        unwatch: watchTls(
          app.server,
          tls,
          logger,
          (ok, err) =>
            void host.events
              .emit(ok ? 'gateway.tls_reloaded' : 'gateway.tls_reload_failed', { cert: tls.cert, ...(err ? { code: err.code, message: err.message } : {}) }, 'plugway')
              .catch(() => undefined),
        ),
      }
    : undefined;

  if (cluster) {
    app.addHook('onListen', async () => {
      const a = app.server.address();
      if (a && typeof a === 'object') cluster.setAddress(`${tls ? 'https' : 'http'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  }

  // WebSocket endpoints: the HTTP server's upgrades (Fastify's server or the fast path's, the same one).
  const upgradeListeners = app.server.listenerCount('upgrade');
  const websockets = new WebSocketGateway(core, {
    prefix,
    maxBufferedBytes: config.gateway.websocket?.maxBufferedBytes,
    rooms: cluster?.rooms, // room broadcasts reach the other nodes when the cluster has NATS
    ownsUpgrades: () => app.server.listenerCount('upgrade') <= upgradeListeners + 1,
    // other upgrades (a remote plugin's proxied WebSocket) go through the same routes as any request
    otherRoutes: upgradeThroughRoutes((req, res) => (fast ? fast.handle(req, res) : app.routing(req, res))),
  });
  app.server.on('upgrade', (req, socket, head) => websockets.handleUpgrade(req, socket, head));
  app.addHook('preClose', async () => websockets.close());
  // kind: protocol plugins: their own TCP ports, opened as they start (docs/protocol-plugins.md).
  const protocols = new ProtocolServers(host, config, logger, metrics.registry);
  app.addHook('preClose', async () => protocols.close());
  alerts.start();
  app.addHook('preClose', async () => alerts.close());

  if (fast) app.addHook('preClose', async () => fast.close());
  app.addHook('onClose', async () => {
    if (metricsServer) await new Promise<void>((r) => metricsServer!.close(() => r()));
    await tlsHandle?.unwatch();
    if (!opts.logger) logger.flush(); // the default destination batches lines
    for (const off of offs) off();
    await cluster?.close();
    await wiring.close();
    unfollow();
    metrics.close(); // its runtime-event subscription on the host
    if (!opts.store) await store.close?.();
    if (redis) redis.disconnect();
  });

  handles.set(app, { core, metrics, store, audit, adminToken, stateDir, prefix, cluster, websockets, protocols, alerts, ...(tlsHandle ? { reloadTls: tlsHandle.reload } : {}) });
  return app;
}

/** For messages: where the state dir's files are. */
export function stateFiles(stateDir: string): { desiredState: string; auditLog: string; adminToken: string } {
  return { desiredState: join(stateDir, 'desired-state.json'), auditLog: join(stateDir, 'audit.log'), adminToken: join(stateDir, 'admin-token') };
}

export { PlugwayError };

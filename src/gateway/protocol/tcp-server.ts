// TCP listeners for `kind: protocol` plugins: one per running plugin, on its `listen` port. Bytes are
// cut into frames (the plugin's parse(), or lines) and each frame goes to handle(); replies are written
// back. Limits: max connections, idle timeout, bytes per second, frame size. docs/protocol-plugins.md.

import { createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { describeError, isPlugwayError, reasonOf } from '../../errors.js';
import type { Host, PluginInstance, StateChange } from '../../host/types.js';
import type { HostConfig } from '../../host/config-types.js';
import { DEFAULT_PROTOCOL_LISTEN, type ProtocolListen } from '../../manifest/types.js';
import type { ParsedFrames, ProtocolConnection, ProtocolReply } from '../../sdk/protocol.js';

interface Listener {
  server: Server;
  /** `host:port` as configured (a change re-binds). */
  want: string;
  address?: { host: string; port: number };
  limits: ProtocolListen;
  open: Set<Socket>;
  bound: Promise<void>;
}

interface ProtocolMetrics {
  connections: Gauge<'plugin'>;
  refused: Counter<'plugin' | 'reason'>;
  bytes: Counter<'plugin' | 'direction'>;
  frames: Counter<'plugin'>;
}

export class ProtocolServers {
  private readonly listeners = new Map<string, Listener>();
  /** Open connections by `plugin@version` (a version leaving service closes its own). */
  private readonly byVersion = new Map<string, Set<Socket>>();
  private readonly metrics: ProtocolMetrics;
  private readonly offs: Array<() => void>;
  private scheduled = false;
  private closed = false;
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: Host,
    private readonly config: HostConfig,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    const registers = [registry];
    this.metrics = {
      connections: new Gauge({ name: 'plugway_protocol_connections', help: 'Open TCP connections of protocol plugins', labelNames: ['plugin'], registers }),
      refused: new Counter({ name: 'plugway_protocol_connections_refused_total', help: 'TCP connections refused (max_connections, plugin not running)', labelNames: ['plugin', 'reason'], registers }),
      bytes: new Counter({ name: 'plugway_protocol_bytes_total', help: 'Bytes read from (in) and written to (out) protocol connections', labelNames: ['plugin', 'direction'], registers }),
      frames: new Counter({ name: 'plugway_protocol_frames_total', help: 'Frames handled by protocol plugins', labelNames: ['plugin'], registers }),
    };
    this.offs = [
      host.events.on<StateChange>('plugin.state_changed', (e) => {
        const d = e.data;
        if (d.to === 'stopping' || d.to === 'stopped' || d.to === 'failed') this.closeVersion(d.id, d.version, 'plugin version stopped');
        this.schedule();
      }),
      host.events.on('plugin.registered', () => this.schedule()),
      host.events.on('plugin.unregistered', () => this.schedule()),
      host.events.on('plugin.activated', () => this.schedule()),
    ];
    this.schedule();
  }

  /** Where a protocol plugin listens (after ready()); undefined when it does not. */
  address(id: string): { host: string; port: number } | undefined {
    return this.listeners.get(id)?.address;
  }

  /** Resolves once every running protocol plugin's listener is bound (or failed to bind). */
  async ready(): Promise<void> {
    await this.syncing;
    await Promise.all([...this.listeners.values()].map((l) => l.bound));
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.syncing = this.syncing.then(() => this.sync());
    });
  }

  private limitsOf(p: PluginInstance): ProtocolListen {
    const m = p.manifest.listen ?? { ...DEFAULT_PROTOCOL_LISTEN, port: 0 };
    const o = this.config.plugins.configs[p.id]?.listen;
    return { ...m, ...(o?.port !== undefined ? { port: o.port } : {}), ...(o?.host !== undefined ? { host: o.host } : {}) };
  }

  /** Listeners for the running protocol plugins, none for the others. */
  private async sync(): Promise<void> {
    if (this.closed) return;
    const want = new Map<string, ProtocolListen>();
    for (const p of this.host.list({ kind: 'protocol' })) {
      const active = this.host.get(p.id);
      if (active && active.state === 'running' && this.host.isEnabled(p.id)) want.set(p.id, this.limitsOf(active));
    }
    for (const [id, l] of this.listeners) {
      const w = want.get(id);
      if (!w || `${w.host}:${w.port}` !== l.want) await this.stopListener(id, l, w ? 'listen address changed' : 'plugin not running');
    }
    for (const [id, limits] of want) if (!this.listeners.has(id)) this.startListener(id, limits);
  }

  private startListener(id: string, limits: ProtocolListen): void {
    const server = createServer({ pauseOnConnect: false }, (socket) => this.accept(id, l, socket));
    const l: Listener = { server, want: `${limits.host}:${limits.port}`, limits, open: new Set(), bound: Promise.resolve() };
    l.bound = new Promise<void>((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const e = describeError('PLW_ERR_PROTOCOL_LISTEN', { id, host: limits.host, port: limits.port, reason: err.code ?? err.message });
        this.logger.error({ plugin_id: id, code: 'PLW_ERR_PROTOCOL_LISTEN', host: limits.host, port: limits.port }, e.message);
        this.listeners.delete(id);
        resolve();
      });
      server.listen(limits.port, limits.host, () => {
        const a = server.address();
        if (a && typeof a === 'object') l.address = { host: a.address, port: a.port };
        this.logger.info({ plugin_id: id, host: l.address?.host, port: l.address?.port }, `protocol plugin ${id} listening on ${l.address?.host}:${l.address?.port}`);
        resolve();
      });
    });
    this.listeners.set(id, l);
  }

  private async stopListener(id: string, l: Listener, reason: string): Promise<void> {
    this.listeners.delete(id);
    for (const s of l.open) s.destroy();
    await new Promise<void>((r) => l.server.close(() => r()));
    this.logger.info({ plugin_id: id, reason }, `protocol plugin ${id} stopped listening: ${reason}`);
  }

  private accept(id: string, l: Listener, socket: Socket): void {
    const inst = this.host.get(id);
    const refuse = (reason: string) => {
      this.metrics.refused.labels(id, reason).inc();
      this.logger.warn({ plugin_id: id, remote_address: socket.remoteAddress, reason }, 'protocol connection refused');
      socket.destroy();
    };
    if (!inst || inst.state !== 'running' || !inst.runtime) return refuse('not_running');
    if (l.open.size >= l.limits.maxConnections) return refuse('max_connections');
    new ProtocolSession(id, inst, l, socket, this).start();
  }

  /** For sessions: bookkeeping of one connection's life. */
  opened(id: string, version: string, socket: Socket, l: Listener): () => void {
    l.open.add(socket);
    const key = `${id}@${version}`;
    let set = this.byVersion.get(key);
    if (!set) this.byVersion.set(key, (set = new Set()));
    set.add(socket);
    this.metrics.connections.labels(id).inc();
    const release = this.host.holdVersion?.(id, version);
    return () => {
      l.open.delete(socket);
      set!.delete(socket);
      if (set!.size === 0) this.byVersion.delete(key);
      this.metrics.connections.labels(id).dec();
      release?.();
    };
  }

  get log(): Logger {
    return this.logger;
  }

  get counters(): ProtocolMetrics {
    return this.metrics;
  }

  private closeVersion(id: string, version: string, reason: string): void {
    const set = this.byVersion.get(`${id}@${version}`);
    if (!set) return;
    for (const s of [...set]) {
      (s as Socket & { closeReason?: string }).closeReason ??= reason;
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const off of this.offs) off();
    await this.syncing;
    await Promise.all([...this.listeners].map(([id, l]) => this.stopListener(id, l, 'gateway closing')));
  }
}

/** One TCP connection: reads (throttled), frames, calls the plugin one frame at a time, writes replies. */
class ProtocolSession {
  private buffer: Buffer = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();
  private bytesIn = 0;
  private bytesOut = 0;
  private frames = 0;
  /** performance.now() when the bytes read so far will have been paid for (bytes_per_second). */
  private readyAt = 0;
  private readonly conn: ProtocolConnection;
  private readonly started = performance.now();

  constructor(
    private readonly id: string,
    private readonly inst: PluginInstance,
    private readonly l: Listener,
    private readonly socket: Socket & { closeReason?: string },
    private readonly servers: ProtocolServers,
  ) {
    this.conn = { id: randomUUID(), remoteAddress: socket.remoteAddress ?? 'unknown', remotePort: socket.remotePort ?? 0 };
  }

  start(): void {
    const { socket, l, id, inst } = this;
    const done = this.servers.opened(id, inst.version, socket, l);
    const log = this.servers.log;
    log.info({ plugin_id: id, version: inst.version, conn_id: this.conn.id, remote_address: this.conn.remoteAddress }, 'protocol connection opened');
    socket.on('error', () => undefined); // a reset by the peer ends the session like a close
    if (l.limits.idleTimeoutMs > 0) {
      socket.setTimeout(l.limits.idleTimeoutMs, () => {
        socket.closeReason ??= 'idle timeout';
        socket.destroy();
      });
    }
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => socket.end());
    socket.once('close', () => {
      done();
      const reason = socket.closeReason ?? 'closed';
      log.info(
        {
          plugin_id: id,
          version: inst.version,
          conn_id: this.conn.id,
          remote_address: this.conn.remoteAddress,
          reason,
          bytes_in: this.bytesIn,
          bytes_out: this.bytesOut,
          frames: this.frames,
          duration_ms: Math.round(performance.now() - this.started),
        },
        'protocol connection closed',
      );
      this.queue = this.queue.then(() =>
        this.call('onDisconnect', [this.conn, reason]).then(
          () => undefined,
          () => undefined,
        ),
      );
    });
    this.queue = this.queue.then(async () => void this.reply(await this.call('onConnect', [this.conn])));
    this.queue.catch(() => undefined);
  }

  private received(chunk: Buffer): void {
    const { socket, l, id } = this;
    this.bytesIn += chunk.length;
    this.servers.counters.bytes.labels(id, 'in').inc(chunk.length);
    // bytes_per_second: each byte costs 1/bps s of the connection's time; past one second of
    // burst, the bytes wait (and reading pauses) until their time comes.
    const bps = l.limits.bytesPerSecond;
    let wait = 0;
    if (bps > 0) {
      const now = performance.now();
      this.readyAt = Math.max(now, this.readyAt) + (chunk.length * 1000) / bps;
      wait = this.readyAt - now - 1000;
      if (wait > 0) {
        socket.pause();
        setTimeout(() => socket.destroyed || socket.resume(), wait).unref();
      }
    }
    const take = () => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      return this.drainFrames();
    };
    this.queue = this.queue
      .then(() => (wait > 0 ? new Promise<void>((r) => setTimeout(r, wait).unref()) : undefined))
      .then(take)
      .catch((err: unknown) => this.failed(err));
  }

  private async drainFrames(): Promise<void> {
    const { socket, l } = this;
    if (socket.destroyed || this.buffer.length === 0) return;
    const parsed = await this.parse(this.buffer);
    this.buffer = this.buffer.subarray(Math.max(0, Math.min(parsed.consumed, this.buffer.length)));
    for (const frame of parsed.frames) {
      if (socket.destroyed) return;
      this.frames++;
      this.servers.counters.frames.labels(this.id).inc();
      const out = await this.call('handle', [frame, this.conn]);
      if (this.reply(out)) return;
    }
    if (this.buffer.length > l.limits.maxFrameBytes) {
      socket.closeReason = `no complete frame in ${this.buffer.length} bytes (max_frame_bytes ${l.limits.maxFrameBytes})`;
      socket.destroy();
    }
  }

  private async parse(bytes: Buffer): Promise<ParsedFrames> {
    if (this.inst.runtime?.implements('parse')) return (await this.call('parse', [bytes, this.conn])) as ParsedFrames;
    const frames: string[] = [];
    let from = 0;
    for (let nl = bytes.indexOf(10, from); nl >= 0; nl = bytes.indexOf(10, from)) {
      const end = nl > from && bytes[nl - 1] === 13 ? nl - 1 : nl;
      frames.push(bytes.toString('utf8', from, end));
      from = nl + 1;
    }
    return { frames, consumed: from };
  }

  /** Writes a reply; true when it asked to close. */
  private reply(out: ProtocolReply | unknown): boolean {
    if (out === undefined || out === null) return false;
    const o = out as { reply?: string | Uint8Array; close?: boolean };
    const isObj = typeof out === 'object' && !(out instanceof Uint8Array);
    const bytes = isObj ? o.reply : (out as string | Uint8Array);
    if (bytes !== undefined && bytes !== null) {
      const buf = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.bytesOut += buf.length;
      this.servers.counters.bytes.labels(this.id, 'out').inc(buf.length);
      // A client that does not read: stop reading its requests until it has taken the replies.
      if (!this.socket.write(buf)) {
        this.socket.pause();
        this.socket.once('drain', () => this.socket.resume());
      }
    }
    if (isObj && o.close) {
      this.socket.closeReason = 'closed by the plugin';
      this.socket.end();
      return true;
    }
    return false;
  }

  private async call(method: string, args: unknown[]): Promise<unknown> {
    const runtime = this.inst.runtime;
    if (!runtime || !runtime.implements(method)) return undefined;
    return runtime.call(method, args);
  }

  private failed(err: unknown): void {
    this.servers.log.warn(
      { plugin_id: this.id, version: this.inst.version, conn_id: this.conn.id, err: { code: isPlugwayError(err) ? err.code : undefined, message: reasonOf(err) } },
      'protocol plugin failed on a frame; connection closed',
    );
    this.socket.closeReason = 'plugin error';
    this.socket.destroy();
  }
}

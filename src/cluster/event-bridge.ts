// Domain events across nodes through NATS. Every event published on a node (ctx.events.emit,
// host.publish) goes out on `<prefix>.events.<type>`; every node delivers the events of the others
// to its bus and its plugins' handleEvent (at most once, core NATS). A plugin whose manifest
// subscribes to a type with `durable: true` gets it through a JetStream durable consumer named after
// the node and the plugin instead: at least once, including what it missed while its node was down.
// While NATS is away, outgoing events wait in a bounded buffer; past the bound they are dropped and
// counted. Requests never wait on NATS.

import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { reasonOf } from '../errors.js';
import type { Host } from '../host/types.js';
import type { DomainEvent } from '../sdk/types.js';

type Nats = typeof import('nats');
type NatsConnection = import('nats').NatsConnection;
type JetStreamClient = import('nats').JetStreamClient;

export interface EventBridgeOptions {
  host: Host;
  nodeId: string;
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  /** TLS files: the CA that signed NATS's certificate, and a client certificate and key when NATS asks for one. */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Subject prefix (default `plugway`): events are `<prefix>.events.<type>`. */
  prefix?: string;
  /** Outgoing events kept while NATS is away (default 10,000); more are dropped and counted. */
  buffer?: number;
  logger?: Logger;
  registry?: Registry;
}

/** nats.js TLS options from file paths (undefined: plain TCP, or TLS as the server URL's tls:// says). */
export function natsTls(tls?: { ca?: string; cert?: string; key?: string }): { tls?: { caFile?: string; certFile?: string; keyFile?: string } } {
  if (!tls || (!tls.ca && !tls.cert)) return {};
  return { tls: { ...(tls.ca ? { caFile: tls.ca } : {}), ...(tls.cert ? { certFile: tls.cert } : {}), ...(tls.key ? { keyFile: tls.key } : {}) } };
}

/** Event types the host itself emits: they describe one node and never cross. */
const LOCAL_ONLY = /^(plugin|runtime|gateway|cluster|host|alert)\./;
const SUBJECT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

interface Envelope {
  origin: string;
  event: DomainEvent;
}

export class EventBridge {
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private codec?: ReturnType<Nats['JSONCodec']>;
  private readonly pending: Envelope[] = [];
  private readonly prefix: string;
  private readonly stream: string;
  private readonly cap: number;
  private closed = false;
  private connected = false;
  private readonly offs: Array<() => void> = [];
  private readonly stops: Array<() => Promise<void> | void> = [];
  /** plugin id -> durable types, as its active manifest says. */
  private durable = new Map<string, Set<string>>();
  private readonly sent: Counter;
  private readonly received: Counter;
  private readonly dropped: Counter;
  private connecting?: Promise<void>;
  private warnedType = new Set<string>();

  constructor(private readonly opts: EventBridgeOptions) {
    this.prefix = opts.prefix ?? 'plugway';
    this.stream = `${this.prefix.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_EVENTS`;
    this.cap = opts.buffer ?? 10_000;
    const registers = opts.registry ? [opts.registry] : [];
    this.sent = new Counter({ name: 'plugway_cluster_events_sent_total', help: 'Domain events this node published to the cluster (NATS)', registers });
    this.received = new Counter({ name: 'plugway_cluster_events_received_total', help: 'Domain events from other nodes delivered here, by delivery', labelNames: ['delivery'], registers });
    this.dropped = new Counter({
      name: 'plugway_cluster_events_dropped_total',
      help: 'Domain events not sent to the cluster, by reason (buffer_full while NATS was away, bad_type)',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Starts relaying at once; the connection is made in the background and retried forever. */
  start(): void {
    this.offs.push(this.opts.host.onPublish((event) => this.outgoing(event)));
    this.connecting = this.connect().catch((err) => {
      if (!this.closed) this.opts.logger?.error({ err: { message: reasonOf(err) } }, 'cluster events: NATS connection failed for good; events stay on this node');
    });
  }

  /** Resolves once connected and subscribed (tests, and a node that wants to report readiness). */
  async ready(): Promise<void> {
    await this.connecting;
  }

  private async connect(): Promise<void> {
    const nats: Nats = await import('nats');
    this.codec = nats.JSONCodec();
    const nc = await nats.connect({
      servers: this.opts.servers,
      name: `plugway-${this.opts.nodeId}`,
      ...(this.opts.user ? { user: this.opts.user, pass: this.opts.pass ?? '' } : {}),
      ...(this.opts.token ? { token: this.opts.token } : {}),
      ...natsTls(this.opts.tls),
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    if (this.closed) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.connected = true;
    void this.watchStatus(nc);
    this.js = nc.jetstream();
    await this.ensureStream(nats, nc);
    this.subscribeAll(nc);
    this.refreshDurables();
    this.offs.push(
      this.opts.host.events.on('plugin.activated', () => this.refreshDurables()),
      this.opts.host.events.on('plugin.registered', () => this.refreshDurables()),
    );
    this.flush();
    this.opts.logger?.info({ servers: this.opts.servers, node_id: this.opts.nodeId }, 'cluster events: connected to NATS');
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'reconnect') {
        this.connected = true;
        this.opts.logger?.info('cluster events: NATS reachable again; sending the buffered events');
        this.flush();
      } else if (s.type === 'disconnect') {
        this.connected = false;
        this.opts.logger?.warn({ buffered: this.pending.length, cap: this.cap }, 'cluster events: lost NATS; buffering outgoing events');
      }
    }
  }

  private async ensureStream(nats: Nats, nc: NatsConnection): Promise<void> {
    const jsm = await nc.jetstreamManager();
    const subjects = [`${this.prefix}.events.>`];
    try {
      await jsm.streams.info(this.stream);
    } catch {
      await jsm.streams.add({ name: this.stream, subjects, retention: nats.RetentionPolicy.Limits, max_age: nats.nanos(7 * 24 * 3600 * 1000), max_msgs: 1_000_000, storage: nats.StorageType.File });
    }
  }

  /** Every other node's events, at most once, to the bus and to the plugins not durably subscribed. */
  private subscribeAll(nc: NatsConnection): void {
    const sub = nc.subscribe(`${this.prefix}.events.>`);
    this.stops.push(() => sub.unsubscribe());
    void (async () => {
      for await (const m of sub) {
        const env = this.decode(m.data);
        if (!env || env.origin === this.opts.nodeId) continue;
        this.received.labels('at_most_once').inc();
        const type = env.event.type;
        void this.opts.host.publish(env.event, { remote: true, exclude: (id) => this.durable.get(id)?.has(type) === true }).catch(() => undefined);
      }
    })();
  }

  /** One JetStream durable consumer per (plugin, type) subscribed with durable: true. */
  private refreshDurables(): void {
    if (!this.js || this.closed) return;
    const next = new Map<string, Set<string>>();
    for (const p of this.opts.host.list()) {
      for (const s of p.manifest.events?.subscribe ?? []) {
        if (!s.durable) continue;
        const set = next.get(p.id) ?? new Set<string>();
        set.add(s.type);
        next.set(p.id, set);
      }
    }
    for (const [id, types] of next) {
      for (const type of types) {
        if (this.durable.get(id)?.has(type)) continue;
        void this.consume(id, type).catch((err) =>
          this.opts.logger?.error({ plugin_id: id, event_type: type, err: { message: reasonOf(err) } }, 'cluster events: could not start a durable subscription'),
        );
      }
    }
    this.durable = next;
  }

  private async consume(id: string, type: string): Promise<void> {
    const nats: Nats = await import('nats');
    const name = `${this.opts.nodeId}_${id}_${type}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const jsm = await this.nc!.jetstreamManager();
    try {
      await jsm.consumers.info(this.stream, name);
    } catch {
      await jsm.consumers.add(this.stream, {
        durable_name: name,
        ack_policy: nats.AckPolicy.Explicit,
        filter_subject: `${this.prefix}.events.${type}`,
        deliver_policy: nats.DeliverPolicy.New,
        ack_wait: nats.nanos(30_000),
        max_deliver: 20,
      });
    }
    const consumer = await this.js!.consumers.get(this.stream, name);
    const messages = await consumer.consume({ max_messages: 64 });
    this.stops.push(() => messages.close().then(() => undefined));
    for await (const m of messages) {
      const env = this.decode(m.data);
      // This node's own events reached its plugins when they were published.
      if (!env || env.origin === this.opts.nodeId) {
        m.ack();
        continue;
      }
      try {
        await this.opts.host.deliverEvent(id, env.event);
        this.received.labels('durable').inc();
        m.ack();
      } catch (err) {
        this.opts.logger?.warn({ plugin_id: id, event_type: type, err: { message: reasonOf(err) } }, 'cluster events: durable delivery failed; NATS redelivers it');
        m.nak(1000);
      }
    }
  }

  private outgoing(event: DomainEvent): void {
    if (LOCAL_ONLY.test(event.type)) return;
    if (!SUBJECT_TYPE.test(event.type)) {
      this.dropped.labels('bad_type').inc();
      if (!this.warnedType.has(event.type) && this.warnedType.size < 100) {
        this.warnedType.add(event.type);
        this.opts.logger?.warn({ event_type: event.type }, 'cluster events: an event type must be dot-separated words of letters, digits, _ and -; kept on this node');
      }
      return;
    }
    this.pending.push({ origin: this.opts.nodeId, event });
    if (this.pending.length > this.cap) {
      this.pending.shift();
      this.dropped.labels('buffer_full').inc();
    }
    this.flush();
  }

  private flush(): void {
    const nc = this.nc;
    if (!nc || !this.codec || nc.isClosed()) return;
    // While reconnecting the client would buffer too (without our bound): keep ours.
    if (!this.connected) return;
    while (this.pending.length) {
      const env = this.pending[0]!;
      try {
        nc.publish(`${this.prefix}.events.${env.event.type}`, this.codec.encode(env));
      } catch {
        return; // not connected after all: the reconnect status flushes again
      }
      this.pending.shift();
      this.sent.inc();
    }
  }

  private decode(data: Uint8Array): Envelope | undefined {
    try {
      const env = this.codec!.decode(data) as Envelope;
      return env && typeof env.origin === 'string' && env.event && typeof env.event.type === 'string' ? env : undefined;
    } catch {
      return undefined;
    }
  }

  get buffered(): number {
    return this.pending.length;
  }

  /** The bridge's NATS connection once made (WebSocket rooms share it, room-relay.ts); undefined if it never was. */
  async connection(): Promise<NatsConnection | undefined> {
    await this.connecting;
    return this.closed ? undefined : this.nc;
  }

  /** Connected to NATS now (not reconnecting). */
  get online(): boolean {
    return this.connected && !!this.nc && !this.nc.isClosed();
  }

  /** Subject prefix: events are `<prefix>.events.<type>`. */
  get subjectPrefix(): string {
    return this.prefix;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const off of this.offs) off();
    for (const stop of this.stops) await Promise.resolve(stop()).catch(() => undefined);
    // Send what is buffered if we can; never wait long on a NATS that is away.
    if (this.nc && !this.nc.isClosed()) await Promise.race([this.nc.drain().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

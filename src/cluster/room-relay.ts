// WebSocket room broadcasts across nodes, over the event bridge's NATS connection (core NATS, at
// most once). A broadcast goes to `<prefix>.ws.<plugin>.<room, base64url>` with the frame as the
// payload and the origin node in a header; every node delivers the others' to its own members of
// the room (the origin delivered to its own already). While NATS is away broadcasts stay local.

import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { reasonOf } from '../errors.js';
import type { EventBridge } from './event-bridge.js';

type Frame = string | Buffer;
type Deliver = (pluginId: string, room: string, frame: Frame) => void;

const ORIGIN = 'Plw-Origin';
const BINARY = 'Plw-Binary';

export interface RoomRelayOptions {
  events: EventBridge;
  nodeId: string;
  logger?: Logger;
  registry?: Registry;
}

export class RoomRelay {
  private readonly prefix: string;
  private readonly sent: Counter;
  private readonly received: Counter;
  private readonly dropped: Counter<'reason'>;
  private readonly deliverers = new Set<Deliver>();
  private nats?: typeof import('nats');
  private nc?: import('nats').NatsConnection;
  private sub?: import('nats').Subscription;
  private closed = false;
  private readonly started: Promise<void>;

  constructor(private readonly opts: RoomRelayOptions) {
    this.prefix = opts.events.subjectPrefix;
    const registers = opts.registry ? [opts.registry] : [];
    this.sent = new Counter({ name: 'plugway_cluster_room_messages_sent_total', help: 'WebSocket room broadcasts this node published to the other nodes (NATS)', registers });
    this.received = new Counter({ name: 'plugway_cluster_room_messages_received_total', help: "WebSocket room broadcasts from other nodes delivered to this node's room members", registers });
    this.dropped = new Counter({
      name: 'plugway_cluster_room_messages_dropped_total',
      help: 'WebSocket room broadcasts kept on this node, by reason (nats_away, too_large)',
      labelNames: ['reason'],
      registers,
    });
    this.started = this.start().catch((err) => {
      if (!this.closed) opts.logger?.error({ err: { message: reasonOf(err) } }, 'websocket rooms: cannot relay broadcasts across nodes; rooms stay local');
    });
  }

  /** The subject of a plugin's room: the room name is base64url, so any name makes one subject token. */
  subjectOf(pluginId: string, room: string): string {
    return `${this.prefix}.ws.${pluginId}.${Buffer.from(room, 'utf8').toString('base64url')}`;
  }

  private async start(): Promise<void> {
    this.nats = await import('nats');
    const nc = await this.opts.events.connection();
    if (!nc || this.closed) return;
    this.nc = nc;
    const sub = nc.subscribe(`${this.prefix}.ws.*.*`);
    this.sub = sub;
    // Resolves once the server has the subscription: a broadcast published after ready() reaches this node.
    await nc.flush();
    this.opts.logger?.info({ subject: `${this.prefix}.ws.*.*`, node_id: this.opts.nodeId }, 'websocket rooms: relaying broadcasts across nodes');
    void (async () => {
      for await (const m of sub) {
        if (m.headers?.get(ORIGIN) === this.opts.nodeId) continue;
        const [, , pluginId, token] = m.subject.slice(this.prefix.length).split('.');
        if (!pluginId || !token) continue;
        const room = Buffer.from(token, 'base64url').toString('utf8');
        const frame: Frame = m.headers?.get(BINARY) === '1' ? Buffer.from(m.data) : Buffer.from(m.data).toString('utf8');
        this.received.inc();
        for (const deliver of this.deliverers) deliver(pluginId, room, frame);
      }
    })();
  }

  /** Resolves once subscribed (or given up): tests, and a node that reports readiness. */
  async ready(): Promise<void> {
    await this.started;
  }

  /** Sends a broadcast to the other nodes; this node's members were served already. */
  publish(pluginId: string, room: string, frame: Frame): void {
    const nc = this.nc;
    if (!nc || !this.nats || !this.opts.events.online) {
      this.dropped.labels('nats_away').inc();
      return;
    }
    const h = this.nats.headers();
    h.set(ORIGIN, this.opts.nodeId);
    if (typeof frame !== 'string') h.set(BINARY, '1');
    try {
      nc.publish(this.subjectOf(pluginId, room), typeof frame === 'string' ? Buffer.from(frame, 'utf8') : frame, { headers: h });
      this.sent.inc();
    } catch (err) {
      const tooLarge = /max_payload|MAX_PAYLOAD/i.test(reasonOf(err)) || (err as { code?: string }).code === 'MAX_PAYLOAD_EXCEEDED';
      this.dropped.labels(tooLarge ? 'too_large' : 'nats_away').inc();
    }
  }

  /** Registers the gateway's local delivery for broadcasts from other nodes. */
  onBroadcast(deliver: Deliver): () => void {
    this.deliverers.add(deliver);
    return () => this.deliverers.delete(deliver);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deliverers.clear();
    this.sub?.unsubscribe();
  }
}

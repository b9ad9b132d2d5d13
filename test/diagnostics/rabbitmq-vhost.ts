// Test helper: a throw-away vhost on a RabbitMQ broker (management API as guest), with guest's
// permissions, and polling the management API, whose statistics refresh every few seconds.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { waitFor } from '../helpers/wait.js';

export interface TestVhost {
  name: string;
  /** amqp://guest:guest@host:port/<vhost> */
  url: string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  connect(): Promise<amqp.ChannelModel>;
  remove(): Promise<void>;
}

export function managementApi(base: string) {
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
  return async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok && res.status !== 404) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

export async function createVhost(amqpPort = 5672, managementPort = 15672): Promise<TestVhost> {
  const name = `plw-test-${process.pid}-${randomBytes(3).toString('hex')}`;
  const api = managementApi(`http://127.0.0.1:${managementPort}`);
  await api('PUT', `/api/vhosts/${name}`, {});
  await api('PUT', `/api/permissions/${name}/guest`, { configure: '.*', write: '.*', read: '.*' });
  const url = `amqp://guest:guest@127.0.0.1:${amqpPort}/${name}`;
  const conns: amqp.ChannelModel[] = [];
  return {
    name,
    url,
    api,
    async connect() {
      const c = await amqp.connect(url);
      c.on('error', () => undefined);
      conns.push(c);
      return c;
    },
    async remove() {
      await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
      await api('DELETE', `/api/vhosts/${name}`);
    },
  };
}

/** Polls until `fn` returns a value (not undefined/false): the management API lags its broker by up to collect_statistics_interval. */
export function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return waitFor(fn, { what, timeoutMs, everyMs: 200 });
}

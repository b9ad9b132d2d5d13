// The etcd desired-state store against a real etcd: round trip, watch between stores, no lost
// update under concurrent writers, two real gateways converging, and etcd going away mid-way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { EventEmitter } from 'node:events';
import { binarySkip } from '../helpers/services.js';
import { EtcdStateStore } from '../../src/state/etcd-store.js';
import { createEtcdClient, type KvClient } from '../../src/state/etcd-client.js';
import { createStateStore } from '../../src/state/create-store.js';
import { loadHostConfig } from '../../src/host/config.js';
import { isPlugwayError } from '../../src/errors.js';
import type { DesiredStateChange } from '../../src/state/types.js';
import type { Host } from '../../src/host/types.js';
import { http, makeHost, startGateway, testConfig, type RunningGateway } from '../gateway/helpers.js';
import { createEtcdServer, type EtcdServer } from './etcd-server.js';

const skip = binarySkip('etcd', 'etcd-server');
const TOKEN = 'cluster-admin-token-0123456789';
const admin = { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } };
const WAIT_MS = 10_000;

let etcd: EtcdServer;
let seq = 0;
const freshPrefix = () => `/plugway-test-${process.pid}-${++seq}`;
const closers: Array<() => Promise<unknown> | unknown> = [];

before(async () => {
  if (skip) return;
  etcd = await createEtcdServer();
  await etcd.start();
});

after(async () => {
  for (const c of closers.reverse()) await c();
  if (etcd) await etcd.destroy();
});

function store(prefix: string, endpoint = etcd.endpoint, client?: KvClient): EtcdStateStore {
  const s = new EtcdStateStore({ endpoints: [endpoint], prefix, client, callTimeoutMs: 2000 });
  closers.push(() => s.close());
  return s;
}

/** Resolves with the first change for `id` that satisfies `match`; rejects after WAIT_MS. */
function nextChange(s: EtcdStateStore, id: string, match: (c: DesiredStateChange) => boolean = () => true): Promise<DesiredStateChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no change for ${id} within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const off = s.watch((c) => {
      if (c.id !== id || !match(c)) return;
      clearTimeout(timer);
      off();
      resolve(c);
    });
  });
}

/** Resolves when the host's plugin reaches `state` with `enabled`, checking on each state change. */
function pluginReaches(host: Host, id: string, enabled: boolean, state: string): Promise<void> {
  const ok = () => host.isEnabled(id) === enabled && host.get(id)?.state === state;
  if (ok()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${id} did not become ${enabled ? 'enabled' : 'disabled'}/${state} within ${WAIT_MS} ms (now ${host.isEnabled(id)}/${host.get(id)?.state})`));
    }, WAIT_MS);
    const off = host.events.on('plugin.state_changed', () => {
      if (!ok()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** A log destination that announces each JSON line, so a test can wait for a message. */
class LogEvents extends Writable {
  readonly events = new EventEmitter();
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    for (const l of chunk.toString().split('\n')) {
      if (!l.trim()) continue;
      const line = JSON.parse(l) as Record<string, unknown>;
      this.lines.push(line);
      this.events.emit('line', line);
    }
    cb();
  }
  waitFor(msg: string): Promise<void> {
    if (this.lines.some((l) => l.msg === msg)) return Promise.resolve();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`no "${msg}" log line within ${WAIT_MS} ms`)), WAIT_MS);
    return new Promise<void>((resolve, reject) => {
      const on = (l: Record<string, unknown>) => {
        if (l.msg !== msg) return;
        this.events.off('line', on);
        clearTimeout(timer);
        resolve();
      };
      this.events.on('line', on);
      ac.signal.addEventListener('abort', () => {
        this.events.off('line', on);
        reject(ac.signal.reason);
      });
    });
  }
}

const helloPlugin = { handleRequest: () => ({ statusCode: 200, body: { hello: 'world' } }) };
const pingPlugin = { handleRequest: () => ({ statusCode: 200, body: { pong: true } }) };

async function clusterNode(endpoint: string, prefix: string): Promise<{ host: Host; gw: RunningGateway; logs: LogEvents }> {
  const config = testConfig((c) => {
    c.gateway.admin.token = TOKEN;
    c.state.store = 'etcd';
    c.state.etcd = { endpoints: [endpoint], prefix };
  });
  const host = await makeHost(
    [
      { id: 'hello', plugin: helloPlugin, manifest: { endpoints: [{ path: '/hi', method: 'GET' }] as never } },
      { id: 'ping', plugin: pingPlugin, manifest: { endpoints: [{ path: '/ping', method: 'GET' }] as never } },
    ],
    config,
  );
  const logs = new LogEvents();
  const gw = await startGateway(host, { logDestination: logs });
  closers.push(async () => {
    await gw.close();
    await host.stop();
  });
  return { host, gw, logs };
}

test('load/update round trip: one key per plugin holding JSON, version carried', { skip }, async () => {
  const prefix = freshPrefix();
  const a = store(prefix);
  assert.deepEqual((await a.load()).plugins, {});
  await a.update('billing', { enabled: false, version: '1.4.2' });
  await a.setEnabled('search', true);
  assert.equal(a.snapshot().plugins.billing?.enabled, false);
  assert.equal(a.snapshot().plugins.billing?.version, '1.4.2');

  const raw = createEtcdClient({ endpoints: [etcd.endpoint] });
  closers.push(() => raw.close());
  const entry = await raw.get(`${prefix}/plugins/billing`);
  assert.ok(entry, 'the key is <prefix>/plugins/<id>');
  const json = JSON.parse(entry.value);
  assert.equal(json.enabled, false);
  assert.equal(json.version, '1.4.2');
  assert.ok(!Number.isNaN(Date.parse(json.updatedAt)));

  const b = store(`${prefix}/`); // a trailing slash names the same prefix
  const loaded = await b.load();
  assert.deepEqual(Object.keys(loaded.plugins).sort(), ['billing', 'search']);
  assert.equal(loaded.plugins.billing?.version, '1.4.2');
  assert.equal(loaded.plugins.search?.enabled, true);

  // A patch keeps the fields it does not name.
  await b.setEnabled('billing', true);
  assert.equal((await store(prefix).load()).plugins.billing?.version, '1.4.2');
});

test("two stores see each other's writes through watch", { skip }, async () => {
  const prefix = freshPrefix();
  const a = store(prefix);
  const b = store(prefix);
  await a.load();
  await b.load();

  const seenByA = nextChange(a, 'reports');
  await b.update('reports', { enabled: false, version: '2.0.0' });
  const change = await seenByA;
  assert.equal(change.state?.enabled, false);
  assert.equal(change.state?.version, '2.0.0');
  assert.equal(a.snapshot().plugins.reports?.enabled, false);

  const seenByB = nextChange(b, 'reports', (c) => c.state?.enabled === true);
  await a.setEnabled('reports', true);
  await seenByB;
  assert.equal(b.snapshot().plugins.reports?.enabled, true);
  assert.equal(b.snapshot().plugins.reports?.version, '2.0.0');
});

test('concurrent updates to one key from two stores both land (compare-and-swap, retried)', { skip }, async () => {
  const prefix = freshPrefix();
  const key = `${prefix}/plugins/shared`;
  // Store A reads, then waits until B has written the same key before it tries its write: a
  // blind put would erase B's field; compare-and-swap must fail, re-read and retry.
  const base = createEtcdClient({ endpoints: [etcd.endpoint] });
  let bWrote!: () => void;
  const bDone = new Promise<void>((r) => (bWrote = r));
  let casAttempts = 0;
  const racing: KvClient = {
    ...base,
    range: (p) => base.range(p),
    get: (k) => base.get(k),
    watchPrefix: (p, r, h) => base.watchPrefix(p, r, h),
    close: () => base.close(),
    compareAndPut: async (k, v, rev) => {
      if (k === key && casAttempts++ === 0) await bDone;
      return base.compareAndPut(k, v, rev);
    },
  };
  const a = store(prefix, etcd.endpoint, racing);
  const b = store(prefix);
  await a.load();
  await b.load();
  await b.update('shared', { enabled: true, version: '1.0.0' });

  const aWrite = a.update('shared', { enabled: false });
  await b.update('shared', { version: '1.1.0' });
  bWrote();
  await aWrite;
  assert.ok(casAttempts >= 2, `A retried (${casAttempts} attempts)`);
  const final = (await store(prefix).load()).plugins.shared;
  assert.equal(final?.enabled, false, "A's write landed");
  assert.equal(final?.version, '1.1.0', "B's write was not lost");

  // And many unsynchronised writers at once: every field set by either store survives.
  const ids = Array.from({ length: 10 }, (_, i) => `p${i}`);
  await Promise.all(ids.flatMap((id, i) => [a.update(id, { version: `1.0.${i}` }), b.update(id, { enabled: false })]));
  const all = (await store(prefix).load()).plugins;
  for (const [i, id] of ids.entries()) {
    assert.equal(all[id]?.version, `1.0.${i}`, id);
    assert.equal(all[id]?.enabled, false, id);
  }
});

test('PLUGWAY_STATE_STORE and PLUGWAY_ETCD_ENDPOINTS (comma separated URLs) select etcd', async () => {
  const c = await loadHostConfig({ env: { PLUGWAY_STATE_STORE: 'etcd', PLUGWAY_ETCD_ENDPOINTS: 'http://10.0.0.1:2379, http://10.0.0.2:2379' } });
  assert.equal(c.state.store, 'etcd');
  assert.deepEqual(c.state.etcd.endpoints, ['http://10.0.0.1:2379', 'http://10.0.0.2:2379']);
  assert.equal(c.state.etcd.prefix, '/plugway/');
});

test('createStateStore picks file or etcd; etcd without endpoints is a config error; unreachable etcd is PLW_ERR_STATE_UNAVAILABLE', { skip }, async () => {
  const file = createStateStore(testConfig());
  assert.equal(file.constructor.name, 'FileStateStore');
  assert.throws(
    () => createStateStore(testConfig((c) => (c.state.store = 'etcd'))),
    (e: unknown) => isPlugwayError(e, 'PLW_ERR_CONFIG_INVALID') && e.message.includes('state.etcd.endpoints'),
  );
  const s = createStateStore(testConfig((c) => ((c.state.store = 'etcd'), (c.state.etcd = { endpoints: ['127.0.0.1:9'], prefix: '/x' }))));
  closers.push(() => s.close?.());
  assert.ok(s instanceof EtcdStateStore);
  await assert.rejects(s.load(), (e: unknown) => isPlugwayError(e, 'PLW_ERR_STATE_UNAVAILABLE') && e.status === 503 && e.message.includes('127.0.0.1:9'));
});

test('two gateways on one etcd: disable through A answers 503 on B; enable restores 200', { skip }, async () => {
  const prefix = freshPrefix();
  const a = await clusterNode(etcd.endpoint, prefix);
  const b = await clusterNode(etcd.endpoint, prefix);
  assert.equal((await http(`${b.gw.url}/hi`)).status, 200);

  const off = await http(`${a.gw.url}/admin/plugins/hello/disable`, admin);
  assert.equal(off.status, 200, off.text);
  await pluginReaches(b.host, 'hello', false, 'stopped');
  const disabled = await http(`${b.gw.url}/hi`);
  assert.equal(disabled.status, 503);
  assert.equal(disabled.json.error.code, 'PLW_ERR_PLUGIN_DISABLED');
  assert.equal((await http(`${b.gw.url}/ping`)).status, 200, 'other plugins keep serving');

  const on = await http(`${a.gw.url}/admin/plugins/hello/enable`, admin);
  assert.equal(on.status, 200, on.text);
  await pluginReaches(b.host, 'hello', true, 'running');
  assert.equal((await http(`${b.gw.url}/hi`)).status, 200);

  // A node that starts later picks up the shared state at boot.
  await http(`${b.gw.url}/admin/plugins/ping/disable`, admin);
  const c = await clusterNode(etcd.endpoint, prefix);
  assert.equal((await http(`${c.gw.url}/ping`)).json.error.code, 'PLW_ERR_PLUGIN_DISABLED');
  assert.equal((await http(`${c.gw.url}/hi`)).status, 200);
});

test('etcd stops mid-way: gateways keep serving the last known state, then converge when it is back', { skip }, async () => {
  const own = await createEtcdServer();
  closers.push(() => own.destroy());
  await own.start();
  const prefix = freshPrefix();
  const a = await clusterNode(own.endpoint, prefix);
  const b = await clusterNode(own.endpoint, prefix);
  await http(`${a.gw.url}/admin/plugins/hello/disable`, admin);
  await pluginReaches(b.host, 'hello', false, 'stopped');

  await own.stop();
  await Promise.all([
    a.logs.waitFor('lost the desired-state store; serving the last known desired state and retrying'),
    b.logs.waitFor('lost the desired-state store; serving the last known desired state and retrying'),
  ]);
  for (const n of [a, b]) {
    assert.equal((await http(`${n.gw.url}/hi`)).json.error.code, 'PLW_ERR_PLUGIN_DISABLED', 'last known state: disabled');
    assert.equal((await http(`${n.gw.url}/ping`)).status, 200, 'still serving');
    assert.equal((await http(`${n.gw.url}/health`)).status, 200);
  }
  // A change made while the store is away cannot be shared: the admin API says so.
  const enable = await http(`${b.gw.url}/admin/plugins/hello/enable`, admin);
  assert.equal(enable.status, 503);
  assert.equal(enable.json.error.code, 'PLW_ERR_STATE_UNAVAILABLE');

  // Back again: both resync; B's unshared local change yields to the shared desired state.
  await own.start();
  await Promise.all([a.logs.waitFor('desired-state store reachable again; resynced'), b.logs.waitFor('desired-state store reachable again; resynced')]);
  await pluginReaches(b.host, 'hello', false, 'stopped');
  assert.equal((await http(`${b.gw.url}/hi`)).status, 503);

  // And the watch is live again: a change from a third writer reaches both.
  const c = store(prefix, own.endpoint);
  await c.load();
  await c.setEnabled('hello', true);
  await Promise.all([pluginReaches(a.host, 'hello', true, 'running'), pluginReaches(b.host, 'hello', true, 'running')]);
  for (const n of [a, b]) assert.equal((await http(`${n.gw.url}/hi`)).status, 200);
});

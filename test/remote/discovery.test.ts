// Discovery from a real etcd: instances registered under a lease appear as upstreams while the
// gateway serves, `plugway register` keeps one listed as a sidecar, and an instance whose sidecar
// dies disappears when its lease expires; one that deregisters disappears at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { binarySkip, ownChild } from '../helpers/services.js';
import { PLUGWAY_BIN } from '../helpers/cli.js';
import { createEtcdServer, type EtcdServer } from '../cluster/etcd-server.js';
import { EtcdRegistrar } from '../../src/runtimes/remote/discovery/etcd.js';
import { http } from '../gateway/helpers.js';
import { remoteManifest, serveRemote, startUpstream } from './helpers.js';

const skip = binarySkip('etcd', 'etcd-server');
let etcd: EtcdServer;

before(async () => {
  if (skip) return;
  etcd = await createEtcdServer();
  await etcd.start();
});
after(async () => {
  if (etcd) await etcd.destroy();
});

test('register, watch, lease expiry: upstreams follow etcd live', { skip }, async (t) => {
  const service = `svc-${process.pid}`;
  const prefix = `/plugway-test-${process.pid}/services/`;
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const s = await serveRemote('disc', remoteManifest('disc', { upstreams: [], discover: { source: 'etcd', service, endpoints: [etcd.endpoint], prefix } }));
  const registrar = new EtcdRegistrar({ endpoints: [etcd.endpoint], prefix });
  t.after(async () => {
    await registrar.close();
    await s.close();
    await a.close();
    await b.close();
  });
  const changes: Array<{ added: string[]; removed: string[]; at: number }> = [];
  let notify: (() => void) | undefined;
  s.host.events.on('runtime.upstreams_changed', (e) => {
    const d = e.data as { added: string[]; removed: string[] };
    changes.push({ ...d, at: performance.now() });
    notify?.();
  });
  const change = async (pred: (c: { added: string[]; removed: string[] }) => boolean) => {
    for (;;) {
      const found = changes.find(pred);
      if (found) return found;
      await new Promise<void>((r) => (notify = r));
    }
  };
  const upstreamsSeen = async (n: number) => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await http(`${s.gw.url}/svc/x`);
      seen.add(r.status === 200 ? r.json.upstream : `${r.status}`);
    }
    return [...seen].sort();
  };

  const none = await http(`${s.gw.url}/svc/x`);
  assert.equal(none.status, 503);
  // the reason (no instance registered) stays in the log: a 5xx message is generic for the client
  assert.equal(none.json.error.code, 'PLW_ERR_UPSTREAM_UNAVAILABLE');

  const regA = await registrar.register(service, { id: 'a', url: a.url }, 2);
  await change((c) => c.added.includes(a.url));
  assert.deepEqual(await upstreamsSeen(4), ['a']);

  // the sidecar command keeps b listed
  const sidecar = ownChild(
    spawn(process.execPath, [PLUGWAY_BIN, 'register', '--service', service, '--url', b.url, '--etcd', etcd.endpoint, '--ttl', '2', '--id', 'b', '--prefix', prefix], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  t.after(() => sidecar.kill('SIGKILL'));
  const lines = createInterface({ input: sidecar.stdout! });
  const registered = await new Promise<Record<string, unknown>>((resolve) =>
    lines.on('line', (l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (o.event === 'registered') resolve(o);
    }),
  );
  assert.equal(registered.key, `${prefix}${service}/b`);
  await change((c) => c.added.includes(b.url));
  assert.deepEqual(await upstreamsSeen(6), ['a', 'b']);
  assert.deepEqual(
    s.host.get('disc')!.runtime!.upstreams!()
      .map((u) => [u.url, u.source])
      .sort(),
    [
      [a.url, 'etcd'],
      [b.url, 'etcd'],
    ].sort(),
  );

  // the sidecar dies without a word: b goes when its 2 s lease expires
  const killedAt = performance.now();
  process.kill(sidecar.pid!, 'SIGKILL');
  const gone = await change((c) => c.removed.includes(b.url));
  const afterMs = gone.at - killedAt;
  assert.ok(afterMs > 1000 && afterMs < 15_000, `b removed ${Math.round(afterMs)} ms after its sidecar died (lease 2 s)`);
  assert.deepEqual(await upstreamsSeen(4), ['a']);

  // a deregisters: gone at once
  const stoppedAt = performance.now();
  await regA.stop();
  const goneA = await change((c) => c.removed.includes(a.url));
  assert.ok(goneA.at - stoppedAt < 1000);
  assert.equal((await http(`${s.gw.url}/svc/x`)).status, 503);
});

test('plugway register refuses bad input with a usage error', async () => {
  const { runCli } = await import('../helpers/cli.js');
  const r = await runCli(['register', '--service', 'Bad Name', '--url', 'http://127.0.0.1:1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PLW_ERR_CLI_USAGE: --service Bad Name is not a kebab-case service name/);
  const u = await runCli(['register', '--service', 'ok', '--url', 'ftp://x']);
  assert.match(u.stderr, /--url ftp:\/\/x is not an http/);
});

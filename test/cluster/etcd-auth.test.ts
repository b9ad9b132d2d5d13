// etcd with password auth on (a real etcd started by the test): the desired-state store connects
// with state.etcd.username/password, and without them is refused with PLW_ERR_STATE_UNAVAILABLE.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { binarySkip } from '../helpers/services.js';
import { loadHostConfig } from '../../src/host/config.js';
import { createStateStore } from '../../src/state/create-store.js';
import { isPlugwayError } from '../../src/errors.js';
import { tmpDir } from '../gateway/helpers.js';
import { createEtcdServer, type EtcdServer } from './etcd-server.js';

const skip = binarySkip('etcd', 'etcd-server');
let etcd: EtcdServer;

before(async () => {
  if (skip) return;
  etcd = await createEtcdServer();
  await etcd.start();
  // Turn on auth the way etcdctl does: a root user with the root role, then auth enable.
  const admin = new Etcd3({ hosts: etcd.endpoint });
  try {
    await admin.user('root').create('s3cret-root');
    await admin.user('root').addRole('root');
    await admin.auth.authEnable({});
  } finally {
    admin.close();
  }
});
after(async () => {
  if (etcd) await etcd.destroy();
});

test('the store authenticates with state.etcd.username/password; without them it is refused with a code', { skip }, async () => {
  const dir = await tmpDir('etcd-auth');
  const base = { state: { store: 'etcd', dir, etcd: { endpoints: [etcd.endpoint], prefix: `/auth-${process.pid}` } } };
  const withAuth = createStateStore(
    await loadHostConfig({ env: {}, overrides: { ...base, state: { ...base.state, etcd: { ...base.state.etcd, username: 'root', password: 's3cret-root' } } } as never }),
  );
  try {
    await withAuth.load();
    await withAuth.setEnabled('hello', false);
    assert.equal(withAuth.snapshot().plugins.hello?.enabled, false);
  } finally {
    await withAuth.close?.();
  }
  // Another state dir: no local snapshot to fall back on.
  const without = createStateStore(await loadHostConfig({ env: {}, overrides: { state: { ...base.state, dir: await tmpDir('etcd-noauth') } } as never }));
  try {
    await assert.rejects(without.load(), (err: unknown) => isPlugwayError(err) && err.code === 'PLW_ERR_STATE_UNAVAILABLE');
  } finally {
    await without.close?.();
  }
});

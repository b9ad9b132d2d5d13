import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { FileStateStore } from './file-store.js';
import { AuditLog, tokenIdentity } from './audit-log.js';
import { resolveAdminToken, tokenDigest, tokenMatches } from './admin-token.js';
import { isPlugwayError } from '../errors.js';

const tmp = () => mkdtemp(join(tmpdir(), 'plugway-state-'));

test('desired state survives a new store on the same folder', async () => {
  const dir = await tmp();
  const a = new FileStateStore(dir);
  await a.load();
  await a.setEnabled('hello', false);
  await a.setEnabled('echo', true);
  const b = new FileStateStore(dir);
  const s = await b.load();
  assert.equal(s.plugins.hello?.enabled, false);
  assert.equal(s.plugins.echo?.enabled, true);
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp files left',
  );
});

test('a corrupt state file is a PLW_ERR_STATE_CORRUPT naming the file', async () => {
  const dir = await tmp();
  await writeFile(join(dir, 'desired-state.json'), '{"plugins": ');
  await assert.rejects(new FileStateStore(dir).load(), (e) => isPlugwayError(e, 'PLW_ERR_STATE_CORRUPT') && e.message.includes(dir));
});

test('kill -9 during a storm of writes leaves a whole, parseable file', async () => {
  const dir = await tmp();
  const script = `
    import { FileStateStore } from ${JSON.stringify(new URL('./file-store.ts', import.meta.url).href)};
    const s = new FileStateStore(${JSON.stringify(dir)});
    await s.load();
    let i = 0;
    for (;;) { i++; await s.update('p' + (i % 50), { enabled: i % 2 === 0, version: 'x'.repeat(i % 2000) }); if (i % 100 === 0) process.stdout.write('.'); }
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Let it write a while (500 updates, each a rename cycle: it prints a dot every 100), then kill it hard.
  let dots = 0;
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => (dots += d.toString().length) >= 5 && resolve());
    child.once('exit', (code) => reject(new Error(`the writer exited (${code}) after ${dots * 100} updates`)));
  });
  child.kill('SIGKILL');
  await once(child, 'exit');
  const text = await readFile(join(dir, 'desired-state.json'), 'utf8');
  const parsed = JSON.parse(text);
  assert.equal(typeof parsed.plugins, 'object');
  assert.ok(Object.keys(parsed.plugins).length > 0);
  await new FileStateStore(dir).load();
});

test('audit log appends JSON lines with a token identity, never the token', async () => {
  const dir = await tmp();
  const log = new AuditLog(dir);
  await log.append({ actor: tokenIdentity('s3cret-token'), action: 'disable', target: 'hello', result: 'ok' });
  await log.append({ actor: tokenIdentity(undefined), action: 'enable', target: 'hello', result: 'denied' });
  const text = await readFile(log.file, 'utf8');
  assert.ok(!text.includes('s3cret-token'));
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.match(lines[0].actor, /^token:[0-9a-f]{12}$/);
  assert.equal(lines[1].actor, 'anonymous');
  assert.ok(!Number.isNaN(Date.parse(lines[0].time)));
  assert.deepEqual(await log.read(), lines);
});

test('admin token: env beats config beats file; generated once with mode 0600', async () => {
  const dir = await tmp();
  assert.deepEqual(await resolveAdminToken({ stateDir: dir, env: { PLUGWAY_ADMIN_TOKEN: 'e' }, configToken: 'c' }), { token: 'e', source: 'env' });
  assert.deepEqual(await resolveAdminToken({ stateDir: dir, env: {}, configToken: 'c' }), { token: 'c', source: 'config' });
  const gen = await resolveAdminToken({ stateDir: dir, env: {} });
  assert.equal(gen.source, 'generated');
  assert.ok(gen.token.length >= 40);
  assert.equal((await stat(gen.file!)).mode & 0o777, 0o600);
  const again = await resolveAdminToken({ stateDir: dir, env: {} });
  assert.equal(again.source, 'file');
  assert.equal(again.token, gen.token);
  const d = tokenDigest(gen.token);
  assert.equal(tokenMatches(gen.token, d), true);
  assert.equal(tokenMatches(gen.token + 'x', d), false);
  assert.equal(tokenMatches(undefined, tokenDigest('')), false);
});

// A real npm registry for tests: Verdaccio (devDependency, 6.8.0 runs on Node 20) in a child process
// on a free loopback port, with its own storage, no uplinks (nothing reaches the public registry),
// and one user whose token publishes. Stop it with stop() (by its PID).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort } from './services.js';
import { waitFor } from './wait.js';

export interface Verdaccio {
  url: string;
  /** host:port/ as .npmrc spells auth lines: `//${authKey}:_authToken=…` */
  authKey: string;
  token: string;
  storage: string;
  stop(): Promise<void>;
}

export async function startVerdaccio(dir: string): Promise<Verdaccio> {
  const bin = join(createRequire(import.meta.url).resolve('verdaccio/package.json'), '..', 'bin', 'verdaccio');
  const storage = join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `storage: ${storage}
auth:
  htpasswd:
    file: ${join(dir, 'htpasswd')}
uplinks: {}
packages:
  '@*/*':
    access: $all
    publish: $authenticated
  '**':
    access: $all
    publish: $authenticated
log: { type: stdout, format: json, level: error }
`,
  );
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}/`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`verdaccio exited with ${code}: ${output}`))));
  // it answers /-/ping once it listens
  const up = waitFor(async () => (await fetch(`${url}-/ping`)).ok, { timeoutMs: 60_000, everyMs: 100, what: `verdaccio to answer ${url}-/ping` });
  await Promise.race([up, exited]);
  const res = await fetch(`${url}-/user/org.couchdb.user:tester`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'tester', password: 'a-test-password' }),
  });
  const { token } = (await res.json()) as { token?: string };
  if (!token) throw new Error(`verdaccio gave no token (${res.status}): ${output}`);
  exited.catch(() => undefined);
  return {
    url,
    authKey: `127.0.0.1:${port}/`,
    token,
    storage,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

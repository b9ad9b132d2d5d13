// Test helpers for real services: reachability checks that fail loudly in CI and skip locally
// with the command that starts the service, and free loopback ports for extra servers.
import { createServer, Socket } from 'node:net';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { waitFor } from './wait.js';

export const SERVICES = {
  redis: { host: '127.0.0.1', port: 6379, start: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log' },
  postgres: { host: '127.0.0.1', port: 5432, start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' },
  mariadb: { host: '127.0.0.1', port: 3306, start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd' },
  rabbitmq: { host: '127.0.0.1', port: 5672, start: 'rabbitmq-server -detached' },
  rabbitmq_management: { host: '127.0.0.1', port: 15672, start: 'rabbitmq-plugins enable rabbitmq_management' },
  nats: {
    host: '127.0.0.1',
    port: 4222,
    start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log',
  },
} as const;

export type ServiceName = keyof typeof SERVICES;

export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.connect(port, host);
  });
}

/**
 * For `test(name, { skip: await serviceSkip('redis') }, …)`: false when the service answers;
 * a skip message locally when it does not; throws in CI (CI=true), where a missing service is a failure.
 */
export async function serviceSkip(name: ServiceName): Promise<false | string> {
  const s = SERVICES[name];
  // Tries of 3 s for up to 10 s: on a loaded CI machine a test process's event loop can be starved long
  // enough for a 1 s connect timer to fire before the (successful) connect is seen.
  const up = await waitFor(() => canConnect(s.host, s.port, 3000), { timeoutMs: 10_000, everyMs: 500, what: `${name} to answer` }).catch(() => false);
  if (up) return false;
  const msg = `${name} does not answer on ${s.host}:${s.port}; start it with: ${s.start}`;
  if (process.env.CI) throw new Error(`CI needs ${msg}`);
  return msg;
}

/** Whether a binary is on PATH; in CI a missing one throws (CI installs it), locally returns a skip message. */
export function binarySkip(bin: string, pkg: string): false | string {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return false;
  } catch {
    const msg = `${bin} is not installed; install it with: apt-get install -y ${pkg}`;
    if (process.env.CI) throw new Error(`CI needs ${msg}`);
    return msg;
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const owned = new Set<ChildProcess>();
let reaperInstalled = false;

/**
 * Makes sure a server a test spawned does not outlive the test file: it no longer keeps the event
 * loop alive (a test whose `before` failed half-way cannot hang the run), and whatever is still
 * running when the process exits is killed (SIGKILL). Returns the child.
 */
export function ownChild<T extends ChildProcess>(child: T): T {
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  child.unref();
  if (!reaperInstalled) {
    reaperInstalled = true;
    process.once('exit', () => {
      for (const c of owned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
  return child;
}

// Test helper: a private RabbitMQ node (own node name, AMQP, management and distribution ports on
// free loopback ports, temp data dir, statistics every second, optional open-files limit) run as the rabbitmq user, stopped
// by the PID of its Erlang VM; for alarms and limits the shared broker must never see.
import { spawn, execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { freePort, ownChild } from '../helpers/services.js';
import { stopProcess, waitUntilAnswers } from './server-process.js';

const run = promisify(execFile);
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface PrivateRabbit {
  node: string;
  amqpPort: number;
  managementPort: number;
  url: string;
  /** rabbitmqctl -n <node> <args> */
  ctl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export function rabbitBinariesSkip(): false | string {
  if (existsSync(SERVER)) return false;
  const msg = `${SERVER} is missing; install it with: apt-get install -y rabbitmq-server`;
  if (process.env.CI) throw new Error(`CI needs ${msg}`);
  return msg;
}

export async function startPrivateRabbit(options: { openFiles?: number } = {}): Promise<PrivateRabbit> {
  const dir = mkdtempSync(join(tmpdir(), 'plw-rabbit-'));
  const [amqpPort, managementPort, distPort] = [await freePort(), await freePort(), await freePort()];
  const node = `plw${process.pid}${randomBytes(2).toString('hex')}@localhost`;
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    `listeners.tcp.local = 127.0.0.1:${amqpPort}\nmanagement.tcp.port = ${managementPort}\nmanagement.tcp.ip = 127.0.0.1\ncollect_statistics_interval = 1000\n`,
  );
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
  const { stdout: uid } = await run('id', ['-u', 'rabbitmq']);
  const { stdout: gid } = await run('id', ['-g', 'rabbitmq']);
  for (const f of ['', 'rabbitmq.conf', 'enabled_plugins']) chownSync(join(dir, f), Number(uid.trim()), Number(gid.trim()));
  const env = [
    `RABBITMQ_NODENAME=${node}`,
    `RABBITMQ_DIST_PORT=${distPort}`,
    `RABBITMQ_MNESIA_BASE=${dir}/mnesia`,
    `RABBITMQ_LOG_BASE=${dir}/log`,
    `RABBITMQ_CONFIG_FILE=${dir}/rabbitmq.conf`,
    `RABBITMQ_ENABLED_PLUGINS_FILE=${dir}/enabled_plugins`,
    `RABBITMQ_PID_FILE=${dir}/pid`,
  ].join(' ');
  const limit = options.openFiles ? `ulimit -n ${options.openFiles} && ` : '';
  // su keeps the rabbitmq user's HOME, so the node and rabbitmqctl share its Erlang cookie.
  const child = ownChild(spawn('su', ['rabbitmq', '-s', '/bin/sh', '-c', `cd ${dir} && ${limit}${env} exec ${SERVER}`], { stdio: 'ignore' }));
  const api = `http://127.0.0.1:${managementPort}`;
  const auth = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
  await waitUntilAnswers(
    `rabbitmq node ${node}`,
    child,
    `logs in ${dir}/log`,
    async () => {
      const res = await fetch(`${api}/api/nodes`, { headers: { authorization: auth } });
      const nodes = (await res.json()) as Array<{ fd_total?: number }>;
      // The node's resource figures arrive with its first statistics emission.
      if (!res.ok || typeof nodes[0]?.fd_total !== 'number') throw new Error('no node statistics yet');
    },
    90_000,
  );
  return {
    node,
    amqpPort,
    managementPort,
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    async ctl(...args) {
      const { stdout } = await run('rabbitmqctl', ['-n', node, ...args]);
      return stdout;
    },
    async stop() {
      await stopProcess(child, () => {
        const pidFile = join(dir, 'pid');
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
        if (pid > 0) process.kill(pid, 'SIGTERM');
        else child.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

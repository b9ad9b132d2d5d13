// Test helper: compiles test/fixtures/kafka-mock/mock-cluster.c against librdkafka into a temp
// dir and runs librdkafka's mock cluster (real Kafka protocol) with commands over stdin.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ownChild } from '../helpers/services.js';

const SOURCE = fileURLToPath(new URL('../fixtures/kafka-mock/mock-cluster.c', import.meta.url));
const HEADER = '/usr/include/librdkafka/rdkafka_mock.h';

/** false when cc and librdkafka-dev are there; a skip message locally; throws in CI. */
export function mockSkip(): false | string {
  let cc = true;
  try {
    execFileSync('sh', ['-c', 'command -v cc'], { stdio: 'ignore' });
  } catch {
    cc = false;
  }
  if (cc && existsSync(HEADER)) return false;
  const msg = `the Kafka mock cluster needs cc and librdkafka-dev (${HEADER}); install with: apt-get install -y gcc librdkafka-dev`;
  if (process.env.CI) throw new Error(`CI needs ${msg}`);
  return msg;
}

export interface MockCluster {
  bootstrap: string;
  proc: ChildProcess;
  /** Sends one command (topic/leader/down/up) and waits for its "ok". */
  command(line: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startMockCluster(brokers = 3): Promise<MockCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'plw-kafka-mock-'));
  const bin = join(dir, 'mock-cluster');
  execFileSync('cc', ['-O1', '-o', bin, SOURCE, '-lrdkafka'], { stdio: 'pipe' });
  const proc = ownChild(spawn(bin, [String(brokers)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const next = (what: string) =>
    new Promise<string>((resolve, reject) => {
      const l = lines.shift();
      if (l !== undefined) return resolve(l);
      const timer = setTimeout(() => reject(new Error(`mock cluster: no answer to ${what} within 10 s`)), 10_000);
      waiters.push((x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
  const bootstrap = await next('startup');
  return {
    bootstrap,
    proc,
    async command(line: string) {
      proc.stdin!.write(`${line}\n`);
      const answer = await next(line);
      if (answer !== 'ok') throw new Error(`mock cluster: "${line}" → ${answer}`);
    },
    async stop() {
      proc.stdin!.end();
      const timer = setTimeout(() => proc.pid && proc.exitCode === null && process.kill(proc.pid, 'SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../wait.test-helper.js';
import { BatchedDestination, LOG_BATCH_CHARS, LOG_FLUSH_MS } from './log-destination.js';
import { createRequestLogger } from './logging.js';

const tmpFile = () => join(mkdtempSync(join(tmpdir(), 'plugway-logdest-')), 'out.log');
const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');

test('lines wait in the batch until flush(), a full batch, or the flush delay', async () => {
  const file = tmpFile();
  const d = new BatchedDestination(file);
  d.write('a\n');
  d.write('b\n');
  assert.equal(read(file), '');
  let called = false;
  d.flush((err) => {
    assert.equal(err, undefined);
    called = true;
  });
  assert.equal(called, true);
  assert.equal(read(file), 'a\nb\n');

  // A full batch is written at once.
  const line = `${'x'.repeat(199)}\n`;
  const n = Math.ceil(LOG_BATCH_CHARS / line.length);
  for (let i = 0; i < n - 1; i++) d.write(line);
  assert.equal(read(file), 'a\nb\n');
  d.write(line);
  assert.equal(read(file).length, 4 + n * line.length);

  // A lone line is written after LOG_FLUSH_MS.
  d.write('late\n');
  assert.ok(!read(file).endsWith('late\n'));
  await waitFor(() => read(file).endsWith('late\n'), { timeoutMs: LOG_FLUSH_MS + 5_000, everyMs: LOG_FLUSH_MS / 4 });
  d.end();
});

test('a process that exits writes the lines still in the batch', () => {
  const file = tmpFile();
  const mod = new URL('./logging.ts', import.meta.url).href;
  const code = `const { createRequestLogger } = await import(${JSON.stringify(mod)});
const log = createRequestLogger({ dest: ${JSON.stringify(file)} });
log.info({ request_id: 'r1', status_code: 200 });
log.info({ request_id: 'r2', status_code: 200 });
process.exit(0);`;
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'pipe' });
  const lines = read(file)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => l.request_id),
    ['r1', 'r2'],
  );
  assert.equal(lines[0]!.level, 'info');
});

test('createRequestLogger with a destination stream writes through it (tests capture lines that way)', () => {
  const out: string[] = [];
  const log = createRequestLogger({ destination: { write: (s: string) => void out.push(s) } });
  log.info({ request_id: 'r3' });
  assert.equal(out.length, 1);
  assert.equal(JSON.parse(out[0]!).request_id, 'r3');
});

test('unicode lines, a line longer than a batch and lines around it come out whole and in order', () => {
  const file = tmpFile();
  const d = new BatchedDestination(file);
  const uni = '{"path":"/café/😀/日本"}\n';
  const long = `${'é'.repeat(LOG_BATCH_CHARS * 2)}\n`;
  const lines = [uni, 'short\n', long, uni];
  for (let i = 0; i < 200; i++) lines.push(`${i}:${'ü'.repeat(i * 7)}\n`);
  for (const l of lines) d.write(l);
  d.flush();
  assert.equal(read(file), lines.join(''));
  assert.equal(d.dropped, 0);
  d.end();
});

test('a non-blocking pipe that takes part of a batch gets the rest: nothing lost, nothing doubled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plugway-logpipe-'));
  const fifo = join(dir, 'fifo');
  const out = join(dir, 'out.log');
  execFileSync('mkfifo', [fifo]);
  const { spawn } = await import('node:child_process');
  const { openSync, constants } = await import('node:fs');
  // A reader slower than the writer: the pipe (64 KiB) fills, writes come back short or EAGAIN.
  const reader = spawn('sh', ['-c', `exec 3<"${fifo}"; sleep 0.3; cat <&3 > "${out}"`]);
  // ENXIO until the reader has opened it
  const fd = await waitFor(() => openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK), { everyMs: 10, what: 'the reader to open the pipe' });
  const d = new BatchedDestination(fd);
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(`{"i":${i},"path":"/ünïcødé/${'é'.repeat(i % 50)}"}\n`);
  for (const l of lines) d.write(l);
  d.flush();
  assert.equal(d.dropped, 0);
  const { closeSync } = await import('node:fs');
  closeSync(fd);
  await new Promise((r) => reader.once('exit', r));
  assert.equal(read(out), lines.join(''));
});

test('a reader that stalls costs one wait: later batches meeting the full pipe are dropped at once, until it reads again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plugway-logstall-'));
  const fifo = join(dir, 'fifo');
  const out = join(dir, 'out.log');
  execFileSync('mkfifo', [fifo]);
  const { spawn } = await import('node:child_process');
  const { openSync, closeSync, constants } = await import('node:fs');
  // The reader opens the pipe, then reads nothing until a line comes on its stdin.
  const reader = spawn('sh', ['-c', `exec 3<"${fifo}"; read go; cat <&3 > "${out}"`], { stdio: ['pipe', 'ignore', 'ignore'] });
  // ENXIO until the reader has opened it
  const fd = await waitFor(() => openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK), { everyMs: 10, what: 'the reader to open the pipe' });
  const waits: number[] = [];
  const wait = Atomics.wait;
  Atomics.wait = ((...a: Parameters<typeof Atomics.wait>) => {
    waits.push(1);
    return wait(...a);
  }) as typeof Atomics.wait;
  try {
    const d = new BatchedDestination(fd);
    const line = `${'x'.repeat(199)}\n`;
    for (let i = 0; i < 2000 && d.dropped === 0; i++) d.write(line); // fills the pipe (64 KiB), then waits once
    assert.ok(d.dropped > 0, 'a batch was dropped after the wait');
    assert.ok(waits.length > 0, 'the first full pipe was waited for');
    const waited = waits.length;
    const dropped = d.dropped;
    for (let i = 0; i < 300; i++) d.write(line); // several more batches meet the full pipe
    d.flush();
    assert.ok(d.dropped > dropped, 'the later batches were dropped');
    assert.equal(waits.length, waited, 'without waiting again');
    reader.stdin!.end('go\n');
    // Once the reader drains the pipe, writes go through again.
    await waitFor(
      () => {
        const before = d.dropped;
        d.write('{"after":"stall"}\n');
        d.flush();
        return d.dropped === before;
      },
      { everyMs: 10, what: 'a write to go through after the reader came back' },
    );
    closeSync(fd);
    await new Promise((r) => reader.once('exit', r));
    assert.ok(read(out).endsWith('{"after":"stall"}\n'));
  } finally {
    Atomics.wait = wait;
    if (reader.exitCode === null) reader.kill();
  }
});

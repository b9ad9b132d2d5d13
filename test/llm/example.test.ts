// examples/llm/README.md's walk-through, run for real: its shell block line by line (ports moved
// to free ones), background lines started and stopped by PID, each curl's output checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function sh(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn('sh', ['-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code, out }));
  });
}

async function until(url: string, ms = 60_000): Promise<void> {
  await waitFor(() => fetch(url).then(() => true), { timeoutMs: ms, everyMs: 100, what: `${url} to answer` });
}

test('examples/llm/README.md: the walk-through runs and shows what it says', async (t) => {
  const readme = await readFile(join(ROOT, 'examples/llm/README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  const lines = block.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const [p1, p2, gw] = [await freePort(), await freePort(), await freePort()];
  const stateDir = await mkdtemp(join(tmpdir(), 'plugway-llm-example-'));
  // The example's ports (9001, 9002 in plugway.yaml too, 8080) become free ones; PLUGWAY_PORT moves the gateway.
  const port = (l: string) =>
    l
      .replaceAll(':9001', `:${p1}`)
      .replaceAll(':9002', `:${p2}`)
      .replaceAll(':8080', `:${gw}`)
      .replaceAll('--port 9001', `--port ${p1}`)
      .replaceAll('--port 9002', `--port ${p2}`)
      .replaceAll('/tmp/plugway-llm-example', stateDir);
  const config = join(stateDir, 'plugway.yaml');
  const yaml = (await readFile(join(ROOT, 'examples/llm/plugway.yaml'), 'utf8'))
    .replaceAll('127.0.0.1:9001', `127.0.0.1:${p1}`)
    .replaceAll('127.0.0.1:9002', `127.0.0.1:${p2}`)
    .replace('"../../plugins"', JSON.stringify(join(ROOT, 'plugins')));
  await import('node:fs/promises').then((fs) => fs.writeFile(config, yaml));
  const env = { ...process.env, PLUGWAY_PORT: String(gw) };
  const background: ChildProcess[] = [];
  t.after(() => {
    for (const c of background) if (c.pid) process.kill(c.pid, 'SIGTERM');
  });
  const outputs: string[] = [];
  for (const raw of lines) {
    let l = port(raw).replace('examples/llm/plugway.yaml', config);
    if (l.startsWith('sleep ')) {
      await until(`http://127.0.0.1:${gw}/health`);
      continue;
    }
    if (l.endsWith('&')) {
      l = l.slice(0, -1).trim();
      const [cmd, ...args] = l.split(/\s+/);
      background.push(spawn(cmd!, args, { cwd: ROOT, env, stdio: 'ignore' }));
      continue;
    }
    const r = await sh(l, env);
    assert.equal(r.code, 0, `${raw}\n${r.out}`);
    outputs.push(r.out);
  }
  const [models, plain, streamed, , fallback, metrics] = outputs;
  assert.deepEqual(
    JSON.parse(models!).data.map((m: { id: string }) => m.id),
    ['gpt-4o-mini'],
  );
  assert.match(JSON.parse(plain!).choices[0].message.content, /^Hello from primary\. You said: Hello there\.$/);
  assert.ok(JSON.parse(plain!).usage.total_tokens > 0);
  assert.match(streamed!, /"usage":\{"prompt_tokens"/);
  assert.ok(streamed!.trimEnd().endsWith('data: [DONE]'));
  assert.match(fallback!, /x-plugway-provider: backup/i);
  assert.match(fallback!, /x-plugway-fallbacks: primary/i);
  assert.match(fallback!, /Hello from backup/);
  assert.match(metrics!, /^plugway_llm_provider_switches_total\{from="primary",to="backup",reason="429"\} 1$/m);
});

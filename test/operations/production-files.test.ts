// The production files docs/production.md ships: the Dockerfile is linted (dockerfile-utils, plus the
// house rules below) and its build stage's `npm ci && npm run build` runs here on exactly the files it
// copies, without a Docker engine; the image's entrypoint then serves /health and /ready from dist/.
// The systemd unit and the Kubernetes manifest are checked for what the docs promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from 'dockerfile-utils';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

/** The Dockerfile's stages and instructions (continuation lines joined, comments dropped). */
function stages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const l of lines) {
    const [op, ...rest] = l.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      out.push({ from: m[1]!, ...(m[2] ? { name: m[2] } : {}), steps: [] });
    } else out.at(-1)!.steps.push({ op: op!.toUpperCase(), args });
  }
  return out;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 480_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => (clearTimeout(timer), resolve({ code, out })));
  });
}

test('the Dockerfile lints clean and keeps the house rules', () => {
  assert.deepEqual(
    validate(dockerfile).map((d) => `${d.range.start.line + 1}: ${d.message}`),
    [],
  );
  const all = stages(dockerfile);
  assert.equal(all.length, 2, 'a build stage and a runtime stage');
  for (const s of all) assert.match(s.from, /^node:20[\w.-]*$/, 'base images pinned to Node 20 (the engines field), never :latest');
  const final = all.at(-1)!;
  const ops = final.steps.map((s) => s.op);
  assert.ok(ops.includes('USER') && final.steps.find((s) => s.op === 'USER')!.args !== 'root', 'runs as a non-root user');
  assert.ok(ops.includes('HEALTHCHECK'), 'has a HEALTHCHECK');
  assert.match(final.steps.find((s) => s.op === 'HEALTHCHECK')!.args, /\/health/);
  for (const op of ['ENTRYPOINT', 'CMD']) assert.match(final.steps.find((s) => s.op === op)!.args, /^\[/, `${op} in exec form (signals reach node)`);
  for (const s of all.flatMap((x) => x.steps).filter((x) => x.op === 'RUN')) assert.doesNotMatch(s.args, /npm install\b/, 'npm ci, never npm install');
});

test("the build stage's `npm ci && npm run build` runs on the files it copies; the image's entrypoint serves /health and /ready", { timeout: 600_000 }, async () => {
  const [build, final] = stages(dockerfile);
  const step = build!.steps.find((s) => s.op === 'RUN')!.args;
  assert.match(step, /^npm ci\b.*&& npm run build$/);
  // Lay out the build context as the stage's COPY lines do (WORKDIR /app → a temp folder).
  const app = mkdtempSync(join(tmpdir(), 'plugway-docker-build-'));
  for (const c of build!.steps.filter((s) => s.op === 'COPY')) {
    const parts = c.args.split(/\s+/);
    const dest = parts.pop()!;
    for (const src of parts) cpSync(join(ROOT, src), dest.endsWith('/') ? join(app, dest, src) : join(app, dest), { recursive: true });
  }
  // Dependencies from the npm cache when it has them (the registry otherwise), as `docker build` would fetch them.
  const r = await run('sh', ['-c', step], app, { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' });
  assert.equal(r.code, 0, r.out.slice(-3000));
  for (const f of ['dist/cli/index.js', 'dist/index.js', 'dist/sdk/index.js', 'dist/sdk/index.d.ts']) assert.ok(existsSync(join(app, f)), f);

  // The runtime stage: package files, dist from the build, bin and plugins from the context; no src/.
  const image = mkdtempSync(join(tmpdir(), 'plugway-docker-image-'));
  for (const c of final!.steps.filter((s) => s.op === 'COPY')) {
    const parts = c.args.split(/\s+/);
    const from = parts[0]!.startsWith('--from=') ? (parts.shift(), app) : ROOT;
    const dest = parts.pop()!;
    for (const src of parts) cpSync(join(from, src.replace(/^\/app\//, '')), dest.endsWith('/') ? join(image, dest, src.split('/').pop()!) : join(image, dest), { recursive: true });
  }
  assert.ok(!existsSync(join(image, 'src')), 'the image has no sources: bin/plugway.js runs dist/');
  symlinkSync(join(app, 'node_modules'), join(image, 'node_modules'), 'dir');
  const version = await run(process.execPath, ['bin/plugway.js', '--version'], image, {}, 60_000);
  assert.equal(version.code, 0, version.out);
  assert.equal(version.out.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);

  const env = { PLUGWAY_HOST: '127.0.0.1', PLUGWAY_STATE_DIR: join(image, 'state'), PLUGWAY_ADMIN_TOKEN: 'tok-image', PLUGWAY_LOG_TIMESTAMP: 'true' };
  const child = spawn(process.execPath, ['bin/plugway.js', 'serve', '--port', '0', '--plugins', join(image, 'plugins')], {
    cwd: image,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m && out.includes('dashboard:')) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const ready = await fetch(`${url}/ready`);
    assert.equal(ready.status, 200, await ready.text());
    // Log shipping: request lines carry a timestamp (PLUGWAY_LOG_TIMESTAMP=true, set in the image).
    const logged = new Promise<string>((resolve) => {
      const look = () => {
        const l = out.split('\n').find((x) => x.includes('"status_code"'));
        if (l) resolve(l);
        return l;
      };
      if (!look()) child.stdout.on('data', look);
    });
    await fetch(`${url}/diagnostics/redis`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const line = await logged; // request lines are written in batches, within 100 ms
    const parsed = JSON.parse(line) as { time?: unknown; request_id?: string };
    assert.equal(typeof parsed.time, 'number');
    assert.match(parsed.request_id ?? '', /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/);
  } finally {
    child.kill('SIGTERM');
  }
});

test('the systemd unit and the Kubernetes manifest say what docs/production.md says', () => {
  const unit = readFileSync(join(ROOT, 'deploy/plugway.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/plugway serve --config \/etc\/plugway\/plugway\.yaml$/m);
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m, 'reload re-reads the TLS files');
  assert.match(unit, /^User=plugway$/m);
  assert.match(unit, /^StateDirectory=plugway$/m);
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  assert.equal(deployment.spec.strategy.type, 'Recreate', 'one gateway per state volume');
  const c = deployment.spec.template.spec.containers[0];
  assert.equal(c.livenessProbe.httpGet.path, '/health');
  assert.equal(c.readinessProbe.httpGet.path, '/ready');
  assert.equal(c.env.find((e: { name: string }) => e.name === 'PLUGWAY_ADMIN_TOKEN').valueFrom.secretKeyRef.name, 'plugway');
  assert.ok(docs.some((d) => d.kind === 'Service'));
});

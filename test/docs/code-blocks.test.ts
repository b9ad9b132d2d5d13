// Every fenced block of README.md and docs/*.md is exercised (issue 7: "every code block in the docs
// that shows a command or a plugin is exercised by a test"). Shell blocks are run for real, line by
// line, in temp folders against gateways this file starts on free ports; the few lines that cannot
// run here are listed in SHOWN_NOT_RUN with the reason and are checked statically. plugin.yaml and
// plugway.yaml blocks go through the real validators, ```ts blocks through tsc (and the cheap ones
// are run), ```json blocks are compared with what the code really produces, and a new block that no
// rule covers fails the inventory test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { loadHostConfig } from '../../src/host/config.js';
import { createHost } from '../../src/host/index.js';
import { createGateway, gatewayOf } from '../../src/gateway/index.js';
import { parseManifest, validatePluginConfig } from '../../src/manifest/index.js';
import { TOP_LEVEL_FIELDS } from '../../src/manifest/schema.js';
import { freePort, serviceSkip } from '../helpers/services.js';
import { isShell, ROOT, type Block } from './blocks.js';
import { optionsOf, parseWithoutRunning, plugwayArgs } from './cli-parse.js';
import { BLOCKS, block, commandStarting, COVERED_ELSEWHERE, coveredElsewhere, key, LINES, openApiHas, read, RUN, SAME_AS_RUN, shellBlock, SHOWN_NOT_RUN } from './inventory.js';
import { asJson, at, genericChecks, request, runBlock, setVersion } from './line-checks.js';
import { ShellSession, type LineResult } from './shell.js';
import { removeScratch, runnable, typecheck } from './snippets.js';

const sessions: ShellSession[] = [];
after(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  removeScratch();
});

function session(name: string): ShellSession {
  const s = new ShellSession(name);
  sessions.push(s);
  return s;
}

// ---------------------------------------------------------------------------------------------

test('inventory: every block of README.md and docs/*.md is run, checked, covered elsewhere or listed with a reason', () => {
  const run = new Set(RUN.flatMap(([f, c]) => shellBlock(f, c).map((l) => key(l.block.file, l.command))));
  const same = new Set(SAME_AS_RUN.flatMap((x) => shellBlock(...x.block).map((l) => key(l.block.file, l.command))));
  const problems: string[] = [];
  for (const l of LINES) {
    const k = key(l.block.file, l.command);
    const listed = Boolean(SHOWN_NOT_RUN[k]);
    // a listed line inside a run block is skipped by the runner
    if (!run.has(k) && !listed && !same.has(k)) problems.push(`${l.block.file}:${l.line} \`${l.command}\`: neither run (RUN) nor listed with a reason (SHOWN_NOT_RUN)`);
  }
  for (const k of Object.keys(SHOWN_NOT_RUN)) if (!LINES.some((l) => key(l.block.file, l.command) === k)) problems.push(`SHOWN_NOT_RUN names a line no doc has any more: ${k}`);
  for (const x of SAME_AS_RUN) {
    const runCommands = shellBlock(...x.runIn).map((l) => l.command);
    for (const l of shellBlock(...x.block)) if (!runCommands.includes(l.command)) problems.push(`${l.block.file}:${l.line} \`${l.command}\` is not a command of ${x.runIn.join(' » ')}`);
  }
  for (const c of COVERED_ELSEWHERE) {
    assert.ok(
      BLOCKS.some((b) => b.file === c.file && c.match(b)),
      `${c.file} still has the blocks ${c.by} covers`,
    );
    assert.ok(read(c.by).includes(c.title.split('${kind}')[0]!), `${c.by} still has the test "${c.title}"`);
  }
  for (const b of BLOCKS) {
    if (isShell(b) || coveredElsewhere(b) || ['', 'yaml', 'ts', 'json'].includes(b.lang)) continue;
    problems.push(`${b.file}:${b.line}: a \`\`\`${b.lang} block: no rule checks this kind of block`);
  }
  assert.deepEqual(problems, []);
});

test('every plugway line of the docs parses with the real command tree (no action runs)', async () => {
  const problems: string[] = [];
  for (const l of LINES) {
    const args = plugwayArgs(l.command);
    if (!args) continue;
    const r = await parseWithoutRunning(args.map((a) => (a === '…' ? 'x' : a)));
    if (r.error) problems.push(`${l.block.file}:${l.line} \`${l.command}\`: ${r.error}`);
  }
  assert.deepEqual(problems, []);
});

test('lines shown but not run: their static checks', async (t) => {
  for (const l of LINES) {
    const entry = SHOWN_NOT_RUN[key(l.block.file, l.command)];
    if (entry) await t.test(`${l.block.file}:${l.line} ${l.command} (${entry.reason})`, () => entry.check(l));
  }
});

const tsBlocks = BLOCKS.filter((b) => b.lang === 'ts' && !coveredElsewhere(b));
const isAssemblyScript = (b: Block) => /^@external\(/m.test(b.body);

/** Runs a module with tsx in `cwd`, as a reader would (no PLUGWAY_* from the test runner); `done` when it exits. */
function runModule(file: string, cwd: string): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; stop: () => void } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLUGWAY_')));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { done, stop: () => void child.kill('SIGTERM') };
}

// ---------------------------------------------------------------------------------------------
// The shell blocks, run. Independent walk-throughs run side by side, four at a time (each spawns
// plugway processes; all ten at once overloaded a 2-CPU CI machine past their timeouts).

const TOKEN_LINE = /admin token \(generated[^\n]*:\n\s+(\S+)/;

describe('run for real, side by side: the shell blocks and the runnable ```ts blocks', { concurrency: 4 }, () => {
  test('`plugway serve` on embedded defaults: README quickstart, gateway.md, admin-api.md, dashboard.md', { timeout: 120_000 }, async (t) => {
    const s = session('embedded');
    let token = '';
    await runBlock(t, s, 'docs/dashboard.md', 'node bin/plugway.js serve', {
      ...at('docs/dashboard.md', {
        'node bin/plugway.js serve': {
          async check(r, sh) {
            token = TOKEN_LINE.exec(r.stdout)?.[1] ?? '';
            assert.ok(token, `the generated token is printed:\n${r.stdout}`);
            sh.ellipsis = token;
            assert.match(r.stdout, /^ {4}hello\s+1\.0\.0\s+handler\s+inprocess\s+running/m);
            const page = await request(`http://127.0.0.1:${sh.ports.get(8080)}/dashboard`);
            assert.equal(page.status, 200, 'then open http://127.0.0.1:8080/dashboard');
            assert.match(page.type, /text\/html/);
          },
        },
        'cat .plugway/admin-token': { check: (r) => assert.equal(r.stdout.trim(), token) },
      }),
    });
    await runBlock(t, s, 'README.md', 'curl http://127.0.0.1:8080/hello', {
      ...at('README.md', {
        "curl -X POST http://127.0.0.1:8080/echo -H 'content-type: application/json' -d '{\"a\":1}'": { check: (r) => assert.deepEqual(asJson(r).body, { a: 1 }) },
        'curl http://127.0.0.1:8080/metrics | head': {
          ok: ([curl, head]) => head === 0 && (curl === 0 || curl === 23), // head may close the pipe before curl is done
          check: (r) => {
            assert.equal(r.stdout.trim().split('\n').length, 10);
            assert.match(r.stdout, /^# HELP plugway_/);
          },
        },
      }),
    });
    await runBlock(t, s, 'README.md', 'export PLUGWAY_ADMIN_TOKEN=…', {
      ...at('README.md', {
        'export PLUGWAY_ADMIN_TOKEN=…': { check: (_r, sh) => assert.equal(sh.env.PLUGWAY_ADMIN_TOKEN, token) },
        'node bin/plugway.js plugin list': { check: (r) => assert.match(r.stdout, /^hello\s+1\.0\.0\s+handler\s+inprocess\s+yes\s+running\s+/m) },
        'curl -H "authorization: Bearer $PLUGWAY_ADMIN_TOKEN" http://127.0.0.1:8080/admin/plugins': {
          check: (r) => assert.ok(asJson(r).plugins.some((p: { id: string }) => p.id === 'hello')),
        },
      }),
    });
    await runBlock(t, s, 'docs/gateway.md', 'npm start', {
      ...at('docs/gateway.md', {
        'curl http://127.0.0.1:8080/hello': { check: (r) => assert.equal(asJson(r).message, 'Hello, world!') },
        'curl http://127.0.0.1:8080/hello/ada': { check: (r) => assert.equal(asJson(r).message, 'Hello, ada!') },
        "curl -X POST http://127.0.0.1:8080/echo -H 'content-type: application/json' -d '{\"a\":1}'": { check: (r) => assert.deepEqual(asJson(r).body, { a: 1 }) },
      }),
    });
    // admin-api.md's tables name the keys of a plugin and of an action's answer
    const adminDoc = read('docs/admin-api.md');
    const pluginKeys = /each: `([^`]+)`/.exec(adminDoc)![1]!.split(/,\s*/);
    const actionKeys = /Actions answer `\{ ([^}]+) \}`/.exec(adminDoc)![1]!.split(/,\s*/);
    const adminAction = (enabled: boolean) => ({
      check: (r: LineResult) => {
        assert.deepEqual(Object.keys(asJson(r)).sort(), [...actionKeys].sort());
        assert.equal(asJson(r).enabled, enabled);
      },
    });
    await runBlock(t, s, 'docs/admin-api.md', 'TOKEN=$(cat .plugway/admin-token)', {
      ...at('docs/admin-api.md', {
        'TOKEN=$(cat .plugway/admin-token)': { check: (_r, sh) => assert.equal(sh.env.TOKEN, token) },
        'curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/admin/plugins': {
          check: (r) => {
            const body = asJson(r);
            assert.deepEqual(Object.keys(body).sort(), ['count', 'plugins']);
            for (const p of body.plugins) assert.deepEqual(Object.keys(p).sort(), [...pluginKeys].sort(), `keys of ${p.id}`);
          },
        },
        'curl -H "Authorization: Bearer $TOKEN" -X POST http://127.0.0.1:8080/admin/plugins/hello/disable': adminAction(false),
        'curl -H "Authorization: Bearer $TOKEN" -X POST http://127.0.0.1:8080/admin/plugins/hello/enable': adminAction(true),
      }),
    });
  });

  test('README: a first plugin in five minutes', { timeout: 120_000 }, async (t) => {
    const s = session('first-plugin');
    s.paths.set('/tmp/my-plugins', join(s.dir, 'my-plugins'));
    await runBlock(t, s, 'README.md', 'node bin/plugway.js plugin create greeter --dir /tmp/my-plugins', {
      ...at('README.md', {
        'node bin/plugway.js plugin create greeter --dir /tmp/my-plugins': {
          check: () => {
            for (const f of ['plugin.yaml', 'src/index.ts', 'fixtures.json', 'test']) assert.ok(existsSync(join(s.dir, 'my-plugins', 'greeter', f)), f);
          },
        },
        'node bin/plugway.js plugin test /tmp/my-plugins/greeter': { check: (r) => assert.match(r.stdout, /PASS greeter/) },
      }),
    });
  });

  test("docs/authoring.md: the scaffolder's three commands", { timeout: 120_000 }, async (t) => {
    const s = session('authoring');
    await runBlock(t, s, 'docs/authoring.md', 'plugway plugin create hello', {
      ...at('docs/authoring.md', {
        'cd hello && npm run build && npm test': { check: (_r, sh) => assert.ok(sh.cwd.endsWith('/hello') && existsSync(join(sh.cwd, 'dist', 'index.js'))) },
        'plugway plugin test .': { check: (r) => assert.match(r.stdout, /PASS hello/) },
      }),
    });
  });

  test('docs/cli.md walk-through: create → validate → test → pack → sign → install → steer a gateway → releases (and hot-reload.md, packaging.md)', { timeout: 180_000 }, async (t) => {
    const s = session('cli');
    const plugins = join(s.cwd, 'plugins');
    await runBlock(t, s, 'docs/cli.md', 'plugway plugin create hello', {
      ...at('docs/cli.md', {
        'plugway plugin create greeter --runtime wasm --dir ./plugins': { check: () => assert.match(readFileSync(join(plugins, 'greeter', 'plugin.yaml'), 'utf8'), /type: wasm/) },
        'plugway plugin create audit --kind middleware --runtime worker': {
          check: () => {
            const m = parseManifest(readFileSync(join(s.cwd, 'audit', 'plugin.yaml'), 'utf8')).manifest!;
            assert.deepEqual([m.kind, m.runtime.type], ['middleware', 'worker']);
          },
        },
      }),
    });
    await runBlock(t, s, 'docs/cli.md', '(cd hello && npm run build)', {
      ...at('docs/cli.md', {
        '(cd hello && npm run build)': { check: (_r, sh) => assert.ok(existsSync(join(sh.cwd, 'hello', 'dist', 'index.js')), 'the cwd stays; hello/dist/index.js is built') },
        'plugway plugin validate ./hello': { check: (r) => assert.equal(r.stdout.trim(), '✓ hello@0.1.0 (handler, inprocess): valid — 1 endpoint') },
      }),
    });
    await runBlock(t, s, 'docs/cli.md', 'plugway plugin test ./hello', {
      ...at('docs/cli.md', {
        'plugway plugin test ./hello': { check: (r) => assert.match(r.stdout, /PASS hello/) },
        "plugway plugin test ./hello --json | jq '.resources'": {
          check: (r) => {
            const res = asJson(r);
            for (const k of ['timeoutMs', 'memoryMb', 'p50Ms', 'p99Ms', 'memoryUsedMb']) assert.ok(k in res, `resources.${k}`);
          },
        },
      }),
    });
    const sigBlock = JSON.parse(block('docs/packaging.md', 'json', /"format": "plugway-signature-v1"/).body) as Record<string, string>;
    await runBlock(t, s, 'docs/packaging.md', 'plugway plugin pack ./hello', {
      ...at('docs/packaging.md', {
        'plugway plugin pack ./hello': { check: () => assert.ok(existsSync(join(s.cwd, 'hello', 'hello-0.1.0.tgz'))) },
        'plugway plugin keygen --out ./keys': {
          check: () => {
            assert.equal(statSync(join(s.cwd, 'keys', 'plugway-signing.key')).mode & 0o777, 0o600);
            assert.ok(existsSync(join(s.cwd, 'keys', 'plugway-signing.pub')));
          },
        },
        'plugway plugin sign hello/hello-0.1.0.tgz --key keys/plugway-signing.key': {
          check: () => {
            const sig = JSON.parse(readFileSync(join(s.cwd, 'hello', 'hello-0.1.0.tgz.sig'), 'utf8')) as Record<string, string>;
            assert.deepEqual(Object.keys(sig).sort(), Object.keys(sigBlock).sort(), 'the .sig has the keys docs/packaging.md shows');
            assert.equal(sig.format, sigBlock.format);
            assert.equal(sig.algorithm, sigBlock.algorithm);
            assert.match(sig.key_id!, /^[0-9a-f]{16}$/);
          },
        },
        'plugway plugin verify hello/hello-0.1.0.tgz --key keys/plugway-signing.pub': { check: (r) => assert.match(r.stdout, /signature OK/) },
        'plugway plugin install hello/hello-0.1.0.tgz --plugins ./plugins --trusted-key keys/plugway-signing.pub': {
          check: () => {
            const integrity = JSON.parse(readFileSync(join(plugins, 'hello', 'integrity.json'), 'utf8')) as Record<string, unknown>;
            assert.deepEqual([integrity.format, integrity.algorithm], ['plugway-integrity-v1', 'sha256']);
          },
        },
      }),
    });

    // The gateway that "plugway serve" would be: the plugins folder, plus the built-in plugins with jwt-auth on a secret.
    const secret = 'a-doc-test-secret-of-at-least-32-bytes!';
    const stateDir = join(s.dir, 'state');
    const config = await loadHostConfig({
      env: {},
      overrides: {
        plugins: { directories: [plugins, join(ROOT, 'plugins')], configs: { 'jwt-auth': { config: { secret } } } },
        gateway: { auth: { plugin: 'jwt-auth' } },
        logging: { level: 'silent' },
        state: { dir: stateDir },
      },
    });
    const hello = join(plugins, 'hello');
    const host = createHost({ config, logger: pino({ level: 'silent' }) });
    await host.start();
    const app = await createGateway({ host, logger: pino({ level: 'silent' }), stateDir, env: {} });
    t.after(async () => {
      await app.close();
      await host.stop();
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    s.mapPort(8080, Number(new URL(url).port));
    s.ellipsis = gatewayOf(app).adminToken.token;
    const served = async () => (await request(`${url}/hello/hello/Ada`)).status;
    const active = () => host.get('hello')!.version;

    await runBlock(t, s, 'docs/cli.md', 'export PLUGWAY_ADMIN_TOKEN=…', {
      ...at('docs/cli.md', {
        'plugway plugin list': {
          check: (r) => {
            assert.match(r.stdout, /^hello\s+0\.1\.0\s+handler\s+inprocess\s+yes\s+running/m);
            assert.match(r.stdout, /^greeter\s+\S+\s+handler\s+\S+\s+yes\s+failed/m, 'the wasm greeter was never built');
          },
        },
        'plugway plugin list --json | jq \'.plugins[] | select(.state != "running") | .id\'': { check: (r) => assert.equal(r.stdout.trim(), '"greeter"') },
        'plugway plugin info hello': { check: (r) => assert.match(r.stdout, /GET\s+\/hello\/hello\/\{name\}/) },
        'plugway plugin disable hello': { check: async () => assert.equal(await served(), 503) },
        'plugway plugin enable hello': { check: async () => assert.equal(await served(), 200) },
        'plugway plugin reload hello': {
          before: () => setVersion(hello, '1.0.0'), // what is re-read from disk: a new version
          check: () => assert.equal(active(), '1.0.0'),
        },
      }),
    });
    await runBlock(t, s, 'docs/cli.md', 'plugway plugin versions hello', {
      ...at('docs/cli.md', {
        'plugway plugin versions hello': {
          before: () => setVersion(hello, '2.0.0'), // 2.0.0 on disk for the canary
          check: (r) => assert.match(r.stdout, /\*\s+1\.0\.0\s[\s\S]*\n\s+0\.1\.0\s/),
        },
        'plugway plugin canary hello --version 2.0.0 --percent 10 --sticky-by user': { check: (r) => assert.match(r.stdout, /10% of the calls to 2\.0\.0 \(sticky by user\)/) },
        "plugway plugin canary hello --json | jq '.canary.error_rate'": { check: (r) => assert.equal(typeof asJson(r), 'number') },
        'plugway plugin canary promote hello': { check: () => assert.equal(active(), '2.0.0') },
        'plugway plugin rollback hello --version 1.0.0': { check: () => assert.equal(active(), '1.0.0') },
      }),
    });
    await runBlock(t, s, 'docs/hot-reload.md', 'plugway plugin versions hello', {
      ...at('docs/hot-reload.md', {
        'plugway plugin versions hello': {
          before: () => setVersion(hello, '1.2.0'), // the folder now holds 1.2.0
          check: (r) => assert.match(r.stdout, /\*\s+1\.0\.0\s.*yes/),
        },
        'plugway plugin reload hello': { check: () => assert.equal(active(), '1.2.0') },
        'plugway plugin rollback hello': { check: () => assert.equal(active(), '1.0.0') },
        'plugway plugin rollback hello --version 1.2.0': { check: () => assert.equal(active(), '1.2.0') },
        'plugway plugin canary hello --version 2.0.0 --percent 10 --sticky-by user': { check: (r) => assert.match(r.stdout, /canary\s+2\.0\.0\s+running/) },
        'plugway plugin canary hello': { check: (r) => assert.match(r.stdout, /stable\s+1\.2\.0[\s\S]*canary\s+2\.0\.0/) },
        'plugway plugin canary abort hello': { check: () => assert.equal(active(), '1.2.0') },
        'plugway plugin canary promote hello': { check: () => assert.equal(active(), '2.0.0') },
      }),
    });
    if (!(await serviceSkip('postgres'))) {
      const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('doc-reader').setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(secret));
      s.env.TOKEN = jwt;
      const curl = commandStarting('docs/diagnostics.md', 'curl -s -X POST http://127.0.0.1:8080/diagnostics/postgres ');
      await runBlock(t, s, 'docs/diagnostics.md', curl, {
        [key('docs/diagnostics.md', curl)]: {
          check: (r) => {
            const body = asJson(r);
            assert.equal(body.plugin_id, 'postgres-diagnostics');
            assert.notEqual(body.status, 'unknown');
            assert.ok(body.findings.every((f: { category: string }) => ['connections', 'activity'].includes(f.category)));
          },
        },
      });
    }
  });

  test('docs/diagnostics.md and README: plugway diagnose against the local Redis, MariaDB and PostgreSQL', { timeout: 120_000 }, async (t) => {
    const skip = (await serviceSkip('redis')) || (await serviceSkip('postgres')) || (await serviceSkip('mariadb'));
    if (skip) return t.skip(skip);
    const s = session('diagnose');
    const lines = [
      ...shellBlock('README.md', 'node bin/plugway.js diagnose redis localhost:6379'),
      ...shellBlock('docs/diagnostics.md', 'plugway diagnose redis localhost:6379'),
      ...shellBlock('docs/diagnostics.md', 'node bin/plugway.js diagnose postgres 127.0.0.1:5432/test --json | jq .duration_ms'),
    ];
    // The diagnoses sample for seconds each (5 s, 10 s): run them side by side, plus the failure the doc shows.
    const failing = 'plugway diagnose mysql 127.0.0.1:1 --json';
    const [failed, ...results] = await Promise.all([s.run(failing), ...lines.map((l) => s.run(l))]);
    const healthOrWorse = (st: number[]) => [0, 1, 2].includes(st[0]!) && st.slice(1).every((x) => x === 0);
    const result = (command: string) => results[lines.findIndex((l) => l.command === command)]!;
    for (const [i, line] of lines.entries()) {
      await t.test(`${line.block.file}:${line.line} ${line.command}`, () => genericChecks(line, results[i]!, { ok: healthOrWorse }));
    }
    await t.test('the --json result has the shape docs/diagnostics.md shows', () => {
      const shown = JSON.parse(block('docs/diagnostics.md', 'json', /^\{\n {2}"plugin_id": "postgres-diagnostics"/).body);
      const real = asJson(result('plugway diagnose postgres postgres://postgres@127.0.0.1:5432/test --window 10s --json'));
      assert.deepEqual(Object.keys(real).sort(), Object.keys(shown).sort());
      assert.equal(real.target, shown.target);
      assert.deepEqual(Object.keys(real.server).sort(), Object.keys(shown.server).sort());
      assert.equal(real.server.window_ms, 10_000);
      assert.ok(real.findings.length > 0, 'a finding to compare');
      for (const f of real.findings) assert.deepEqual(Object.keys(f).sort(), Object.keys(shown.findings[0]).sort());
      for (const v of Object.values(real.metrics)) assert.equal(typeof v, 'number');
      assert.equal(asJson(result('node bin/plugway.js diagnose postgres postgres://postgres@127.0.0.1:5432/postgres --json')).plugin_id, 'postgres-diagnostics');
    });
    await t.test('`| jq .duration_ms   # ≈ 5070`: the default window is 5 s', () => {
      const ms = Number(result('node bin/plugway.js diagnose postgres 127.0.0.1:5432/test --json | jq .duration_ms').stdout);
      // at least the 5 s window, and less than a 10 s one would take (the machine's load adds the rest)
      assert.ok(ms >= 5000 && ms < 10_000, String(ms));
    });
    await t.test('with --json and a failure, stdout holds exactly the object docs/diagnostics.md shows', () => {
      assert.equal(failed.status[0], 3);
      assert.deepEqual(JSON.parse(failed.stdout), JSON.parse(block('docs/diagnostics.md', 'json', /"status": "unknown"/).body));
    });
  });

  test('docs/manifest.md: plugway plugin validate and the output it shows', { timeout: 180_000 }, async (t) => {
    const s = session('manifest');
    cpSync(join(ROOT, 'examples', 'hello'), join(s.cwd, 'plugins', 'hello'), { recursive: true });
    writeFileSync(join(s.cwd, 'my-plugin.yaml'), 'id: my-plugin\nversion: 0.1.0\nkind: handler\n');
    writeFileSync(join(s.cwd, 'my-plugin.mjs'), 'export default { handleRequest: () => ({ statusCode: 200, body: "ok" }) };\n');
    const samples = BLOCKS.filter((b) => b.file === 'docs/manifest.md' && b.lang === '');
    const success = samples.find((b) => b.body.startsWith('✓'))!.body.trim();
    await runBlock(t, s, 'docs/manifest.md', 'plugway plugin validate ./plugins/hello', {
      ...at('docs/manifest.md', {
        'plugway plugin validate ./plugins/hello': { check: (r) => assert.equal(r.stdout.trim(), success) },
        'plugway plugin validate ./my-plugin.yaml': { check: (r) => assert.match(r.stdout, /^✓ my-plugin@0\.1\.0 \(handler, inprocess\): valid/) },
        'plugway plugin validate ./plugins/hello --json': { check: (r) => assert.deepEqual([asJson(r).valid, asJson(r).id], [true, 'hello']) },
      }),
    });
    await t.test('the failure sample is what validate prints for such a manifest', async () => {
      const sample = samples.find((b) => b.body.startsWith('✗'))!.body.trim();
      const dir = join(s.cwd, 'srv', 'plugins', 'hello');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'plugin.yaml'), 'id: hello\nverison: 1.0.0\nkind: handlr\nendpoints:\n  - path: /hello\n    method: GET\n    description: Greets\n    rate_limit: 100/fortnight\n');
      const r = await s.run(`plugway plugin validate ${dir}`);
      assert.deepEqual(r.status, [1]);
      assert.equal(r.stdout.trim(), sample.replaceAll('/srv/plugins/hello/plugin.yaml', join(dir, 'plugin.yaml')));
    });
  });

  // ```ts blocks that are cheap to run
  test('docs/gateway.md: the embedding example mounts plugway under /plugway in an existing Fastify app', { timeout: 180_000 }, async (t) => {
    const b = block('docs/gateway.md', 'ts', /^import Fastify from 'fastify';/);
    const port = await freePort();
    const file = runnable(b, { edit: (c) => c.replace('app.listen({ port: 3000 })', `app.listen({ port: ${port} })`) });
    const cwd = session('embedding').cwd;
    cpSync(join(ROOT, 'examples', 'hello'), join(cwd, 'plugins', 'hello'), { recursive: true });
    const run = runModule(file, cwd);
    t.after(run.stop);
    const base = `http://127.0.0.1:${port}`;
    let own: Awaited<ReturnType<typeof request>> | undefined;
    for (const t0 = Date.now(); !own && Date.now() - t0 < 45_000; ) {
      own = await request(`${base}/own`).catch(async () => {
        const exited = await Promise.race([run.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
        if (exited) assert.fail(`the example exited with ${exited.code}:\n${exited.stdout}\n${exited.stderr}`);
        return undefined;
      });
    }
    assert.ok(own, 'the app listens');
    assert.deepEqual(own.json(), { mine: true });
    const hello = await request(`${base}/plugway/hello`);
    assert.equal(hello.status, 200);
    assert.equal(hello.json().message, 'Hello, world!');
    assert.equal((await request(`${base}/plugway/admin/plugins`)).status, 401, 'the admin API under the prefix, behind its token');
    assert.equal((await request(`${base}/plugway/metrics`)).status, 200);
    assert.equal((await request(`${base}/hello`)).status, 404, 'nothing outside the prefix');
  });

  test('docs/host.md: the host example starts, calls its builtin plugin and reports as the comments say', { timeout: 180_000 }, async () => {
    const b = block('docs/host.md', 'ts', /^import \{ createHost/);
    const file = runnable(b, { append: '\nprocess.stdout.write(`\\n@@doc-result ${JSON.stringify({ report, res })}\\n`);\nawait host.stop();\nprocess.exit(0);\n' });
    const cwd = session('host').cwd;
    mkdirSync(join(cwd, 'plugins'));
    const r = await runModule(file, cwd).done;
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith('@@doc-result '));
    assert.ok(line, r.stdout);
    const { report, res } = JSON.parse(line.slice('@@doc-result '.length)) as { report: Record<string, unknown>; res: unknown };
    assert.deepEqual(Object.keys(report).sort(), ['durationMs', 'failed', 'running', 'skipped'], 'report: { running, failed, skipped, durationMs }');
    assert.deepEqual(res, { statusCode: 200, body: { hello: 'world' } });
  });

  test('README: the first plugin answers through the host', async () => {
    const b = block('README.md', 'ts', /^\/\/ plugin\.yaml: id: greeter/);
    const mod = (await import(runnable(b))) as { default: unknown };
    const host = createHost({ logger: pino({ level: 'silent' }) });
    host.registerBuiltin('greeter', mod.default, { version: '0.1.0', kind: 'handler' });
    await host.start();
    try {
      const res = await host.call('greeter', 'handleRequest', [{ id: '1', method: 'GET', path: '/greeter/hello/Ada', params: { name: 'Ada' }, query: {}, headers: {}, context: {} }]);
      assert.deepEqual(res, { statusCode: 200, body: { message: 'Hello, Ada!' } });
    } finally {
      await host.stop();
    }
  });

  test('docs/diagnostics-{redis,mysql,postgres}.md: the "use" snippets connect, diagnose and disconnect', { timeout: 180_000 }, async (t) => {
    const skip = (await serviceSkip('redis')) || (await serviceSkip('postgres')) || (await serviceSkip('mariadb'));
    if (skip) return t.skip(skip);
    (globalThis as Record<string, unknown>).__plugwayDocCtx = { config: {}, logger: pino({ level: 'silent' }), signal: new AbortController().signal };
    await Promise.all(
      ['redis', 'mysql', 'postgres'].map(async (system) => {
        const b = block(`docs/diagnostics-${system}.md`, 'ts', /^import create\w+Diagnostics from/);
        const mod = (await import(runnable(b, { prelude: 'const ctx = (globalThis as any).__plugwayDocCtx;\n', append: '\nexport { result };\n' }))) as {
          result: { plugin_id: string; status: string };
        };
        assert.equal(mod.result.plugin_id, `${system}-diagnostics`);
        assert.notEqual(mod.result.status, 'unknown', `${system}: ${JSON.stringify(mod.result).slice(0, 500)}`);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// ```yaml: plugin.yaml (or a fragment of one) through the manifest validator, plugway.yaml through the config loader.

const CONFIG_KEYS = new Set(['plugins', 'gateway', 'state', 'reload', 'logging', 'trusted_keys', 'runtimes', 'sandbox', 'cluster', 'storage', 'alerts', 'routes']);

test('```yaml blocks: manifests validate, plugway.yaml blocks load (with ${VAR} set), plugin configs fit their schema', async (t) => {
  for (const b of BLOCKS.filter((x) => x.lang === 'yaml' && !coveredElsewhere(x))) {
    await t.test(`${b.file}:${b.line}`, async () => {
      const keys = Object.keys(parseYaml(b.body) as Record<string, unknown>);
      if (keys.includes('id') || keys.every((k) => TOP_LEVEL_FIELDS.includes(k))) {
        // a fragment (no id) is checked inside the smallest manifest around it
        const text = keys.includes('id') ? b.body : `id: doc-fragment\nversion: 0.1.0\n${b.body}`;
        // the entry a doc names is not on disk beside the doc: everything but its existence is checked
        assert.deepEqual(
          parseManifest(text).errors.filter((e) => e.code !== 'PLW_ERR_ENTRY_NOT_FOUND'),
          [],
        );
        return;
      }
      assert.ok(
        keys.every((k) => CONFIG_KEYS.has(k)),
        `${b.file}:${b.line}: neither a plugin.yaml nor a plugway.yaml (keys ${keys.join(', ')})`,
      );
      const file = join(mkdtempDir(), 'plugway.yaml');
      writeFileSync(file, b.body);
      const env = Object.fromEntries([...b.body.matchAll(/\$\{(\w+)\}/g)].map((m) => [m[1]!, `value-of-${m[1]}-with-more-than-32-bytes`]));
      const config = await loadHostConfig({ file, env });
      for (const [id, c] of Object.entries(config.plugins.configs)) {
        const manifestFile = ['plugins', 'examples'].map((d) => join(ROOT, d, id, 'plugin.yaml')).find((f) => existsSync(f));
        if (manifestFile) validatePluginConfig(parseManifest(readFileSync(manifestFile, 'utf8')).manifest!, c.config);
      }
    });
  }
});

const yamlDir = mkdtempSync(join(tmpdir(), 'plugway-doc-yaml-'));
after(() => rmSync(yamlDir, { recursive: true, force: true }));
let yamlFiles = 0;
function mkdtempDir(): string {
  const d = join(yamlDir, String(++yamlFiles));
  mkdirSync(d);
  return d;
}

test('docs/configuration.md: the error sample is what a misspelt key gives', async () => {
  const sample = block('docs/configuration.md', '', /^plugway: PLW_ERR_CONFIG_INVALID/).body.trim();
  const file = join(mkdtempDir(), 'plugway.yaml');
  writeFileSync(file, 'plugins:\n  max_plugin: 10\n');
  await assert.rejects(loadHostConfig({ file, env: {} }), (e: { code: string; message: string }) => {
    assert.equal(`plugway: ${e.code}: ${e.message}`, sample.replace('/etc/plugway/plugway.yaml', file));
    return true;
  });
});

// ---------------------------------------------------------------------------------------------
// Plain blocks that show a command synopsis or admin routes.

test('plain blocks: the serve and diagnose synopses name real flags; the admin routes exist; the layout exists', async () => {
  for (const b of BLOCKS.filter((x) => x.lang === '' && /^plugway (serve|diagnose)\b/.test(x.body))) {
    const cmd = /^plugway (\w+)/.exec(b.body)![1]!;
    const real = await optionsOf([cmd]);
    for (const flag of b.body.match(/--[a-z][\w-]*/g) ?? []) assert.ok(real.includes(flag), `${b.file}:${b.line}: plugway ${cmd} has ${flag}`);
  }
  for (const b of BLOCKS.filter((x) => x.lang === '' && /^(GET|POST) +\/admin\//m.test(x.body))) {
    for (const m of b.body.matchAll(/^(GET|POST) +(\/admin\/\S+)/gm)) assert.ok(openApiHas(m[1]!, m[2]!), `${b.file}:${b.line}: ${m[1]} ${m[2]} is in the admin OpenAPI`);
  }
  const layout = block('README.md', '', /^src\/sdk\//);
  for (const m of layout.body.matchAll(/^(\S+)/gm)) assert.ok(existsSync(join(ROOT, m[1]!)), `README layout: ${m[1]} exists`);
});

// ---------------------------------------------------------------------------------------------
// ```ts blocks: type-checked with tsc; the embedding and host examples and the README plugin run.

// tsc runs in a child process from the start, beside the shell walk-throughs.
const ctxPrelude = ["import type { PluginContext } from 'plugway/sdk';", 'declare const ctx: PluginContext;'];
const typecheckErrors = typecheck(
  tsBlocks
    .filter((b) => !isAssemblyScript(b))
    .map((b) => {
      if (/^\{/.test(b.body)) return { block: b, prelude: ["import type { DiagnosticTarget } from 'plugway/sdk';"], lead: 'export const target: DiagnosticTarget = ' };
      if (b.file.startsWith('docs/diagnostics-')) return { block: b, prelude: ctxPrelude }; // the snippets use a plugin's ctx
      return { block: b };
    }),
).catch((e: unknown) => [`tsc did not run: ${String(e)}`]);

test('```ts blocks type-check against src/ (plugway and plugway/sdk mapped to the sources)', { timeout: 120_000 }, async () => {
  assert.deepEqual(await typecheckErrors, []);
});

test('docs/wasm-abi.md: the AssemblyScript declarations name host functions the wasm runtime provides, with their arity', () => {
  const worker = read('src/runtimes/wasm/wasm-worker.ts');
  for (const b of tsBlocks.filter(isAssemblyScript)) {
    for (const m of b.body.matchAll(/@external\('extism:host\/user', '(\w+)'\) declare function \w+\(([^)]*)\)/g)) {
      const def = new RegExp(`\\b${m[1]}\\(cc: CallContext((?:, \\w+: bigint)*)\\)`).exec(worker);
      assert.ok(def, `${m[1]} is a host function in src/runtimes/wasm/wasm-worker.ts`);
      assert.equal(m[2]!.split(',').filter((x) => x.trim()).length, def[1]!.split(',').filter((x) => x.trim()).length, `${m[1]}: arguments`);
    }
  }
});

// ---------------------------------------------------------------------------------------------

test('```json blocks parse (the ones with a real counterpart are compared above)', () => {
  for (const b of BLOCKS.filter((x) => x.lang === 'json')) assert.doesNotThrow(() => JSON.parse(b.body), `${b.file}:${b.line}`);
});

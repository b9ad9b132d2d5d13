// The release commands through the real CLI (node bin/plugway.js, PLUGWAY_ADMIN_TOKEN) against a gateway on
// loopback: versions, rollback (previous and named), canary start / status / promote / abort, --json,
// and one-line coded errors for a wrong token, an unreachable gateway and a bad request.

import { runCli, type CliRun } from '../helpers/cli.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/services.js';
import { startStack, swapConfig, tmp, writeVersion, type Stack } from './helpers.js';

type Run = CliRun;

/** Spawned (not spawnSync): the gateway answering it runs in this process's event loop. */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return runCli(args, { env });
}

function runner(s: Stack) {
  const env = { PLUGWAY_ADMIN_TOKEN: s.token, PLUGWAY_URL: s.url };
  return {
    async ok(args: string[]): Promise<string> {
      const r = await cli(args, env);
      assert.equal(r.code, 0, `plugway ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
    async json<T = any>(args: string[]): Promise<T> {
      return JSON.parse(await this.ok([...args, '--json'])) as T;
    },
    async fails(args: string[], code: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
      const r = await cli(args, { ...env, ...extraEnv });
      assert.equal(r.code, 1, `plugway ${args.join(' ')} should fail with 1:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^plugway: ${code}: .+\\n$`), r.stderr);
      return r.stderr;
    },
  };
}

const served = async (s: Stack, id: string) => ((await (await fetch(`${s.url}/${id}`)).json()) as { version: string }).version;

test('plugway plugin versions | rollback | canary | canary promote | canary abort against a real gateway', async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'rel', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 0)) });
  const plugway = runner(s);
  try {
    for (const v of ['2.0.0', '3.0.0']) {
      await writeVersion(root, 'rel', { version: v });
      assert.match(await plugway.ok(['plugin', 'reload', 'rel']), /Reloaded rel/);
    }

    // versions: table for people, JSON for scripts
    const table = await plugway.ok(['plugin', 'versions', 'rel']);
    assert.match(table, /active\s+version\s+hash\s+saved at\s+pinned/);
    assert.match(table, /\*\s+3\.0\.0/);
    assert.match(table, /active: 3\.0\.0/);
    const versions = await plugway.json(['plugin', 'versions', 'rel']);
    assert.deepEqual(
      versions.versions.map((v: any) => v.version),
      ['3.0.0', '2.0.0', '1.0.0'],
    );
    assert.equal(versions.active.version, '3.0.0');

    // rollback: to the previous, then to a named version (pinned)
    assert.match(await plugway.ok(['plugin', 'rollback', 'rel']), /^Rolled back rel: 3\.0\.0 → 2\.0\.0 \(\w{12}\), cut-over [\d.]+ ms/);
    assert.equal(await served(s, 'rel'), '2.0.0');
    const named = await plugway.json(['plugin', 'rollback', 'rel', '--version', '1.0.0']);
    assert.equal(named.version, '1.0.0');
    assert.equal(named.from, '2.0.0');
    assert.equal(await served(s, 'rel'), '1.0.0');
    assert.equal((await plugway.json(['plugin', 'versions', 'rel'])).desired.pinned, true);
    await plugway.fails(['plugin', 'rollback', 'rel', '--version', '9.9.9'], 'PLW_ERR_VERSION_NOT_FOUND');

    // canary: start (the version on disk), status side by side, promote
    assert.match(await plugway.ok(['plugin', 'canary', 'rel']), /no canary of rel is running/);
    const started = await plugway.ok(['plugin', 'canary', 'rel', '--version', '3.0.0', '--percent', '10', '--sticky-by', 'user']);
    assert.match(started, /canary of rel: 10% of the calls to 3\.0\.0 \(sticky by user\)/);
    assert.match(started, /stable\s+1\.0\.0\s+running/);
    assert.match(started, /canary\s+3\.0\.0\s+running/);
    const status = await plugway.json(['plugin', 'canary', 'rel']);
    assert.equal(status.percent, 10);
    assert.equal(status.sticky_by, 'user');
    assert.equal(status.canary.version, '3.0.0');
    await plugway.fails(['plugin', 'canary', 'rel', '--version', '3.0.0', '--percent', '20'], 'PLW_ERR_CANARY_INVALID');
    assert.match(await plugway.ok(['plugin', 'canary', 'promote', 'rel']), /^Promoted rel: 1\.0\.0 → 3\.0\.0/);
    assert.equal(await served(s, 'rel'), '3.0.0');
    assert.equal(s.host.get('rel')!.version, '3.0.0');

    // canary of a kept version, then aborted: the active version keeps serving
    const again = await plugway.json(['plugin', 'canary', 'rel', '--version', '2.0.0', '--percent', '50']);
    assert.equal(again.canary.version, '2.0.0');
    assert.equal(again.sticky_by, 'none');
    const aborted = await plugway.json(['plugin', 'canary', 'abort', 'rel']);
    assert.deepEqual(aborted, { id: 'rel', action: 'abort', version: '3.0.0' });
    assert.equal((await plugway.json(['plugin', 'canary', 'rel'])).canary, null);
    await plugway.fails(['plugin', 'canary', 'abort', 'rel'], 'PLW_ERR_CANARY_INVALID');
    await plugway.fails(['plugin', 'canary', 'rel', '--percent', '5'], 'PLW_ERR_CANARY_INVALID');

    // one-line coded errors: wrong token, unknown plugin, unreachable gateway
    await plugway.fails(['plugin', 'versions', 'rel'], 'PLW_ERR_ADMIN_UNAUTHORIZED', { PLUGWAY_ADMIN_TOKEN: 'wrong-token' });
    await plugway.fails(['plugin', 'canary', 'promote', 'rel'], 'PLW_ERR_ADMIN_UNAUTHORIZED', { PLUGWAY_ADMIN_TOKEN: 'wrong-token' });
    await plugway.fails(['plugin', 'versions', 'nope'], 'PLW_ERR_PLUGIN_NOT_FOUND');
    const port = await freePort();
    await plugway.fails(['plugin', 'rollback', 'rel', '--url', `http://127.0.0.1:${port}`], 'PLW_ERR_GATEWAY_UNREACHABLE');
    assert.equal(s.host.get('rel')!.version, '3.0.0');
  } finally {
    await s.close();
  }
});

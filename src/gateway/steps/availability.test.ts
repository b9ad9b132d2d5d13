// The availability step: a disabled or stopped plugin is refused with 503 before anything else runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepBench, echoPlugin } from './step-bench.test-helper.js';

test('availability: disabled → 503 PLW_ERR_PLUGIN_DISABLED, stopped → 503 PLW_ERR_PLUGIN_NOT_RUNNING', async (t) => {
  const b = await stepBench([{ id: 'api', plugin: echoPlugin, manifest: { endpoints: [{ path: '/x', method: 'GET' }] as never } }]);
  t.after(() => b.close());
  assert.equal((await b.request('GET', '/x')).status, 200);
  await b.host.disable('api');
  const disabled = await b.request('GET', '/x');
  assert.equal(disabled.status, 503);
  assert.equal(disabled.body.error.code, 'PLW_ERR_PLUGIN_DISABLED');
  await b.host.enable('api');
  await b.host.stopPlugin('api');
  const stopped = await b.request('GET', '/x');
  assert.equal(stopped.status, 503);
  assert.equal(stopped.body.error.code, 'PLW_ERR_PLUGIN_NOT_RUNNING');
});

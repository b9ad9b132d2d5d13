import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from './audit-log.js';
import { waitFor } from '../wait.test-helper.js';

const lines = async (log: AuditLog) =>
  (await readFile(log.file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, string>);

test('denied requests past the per-window limit are counted, then summarised in one entry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plw-audit-'));
  try {
    const log = new AuditLog(dir, 3, 300);
    for (let i = 0; i < 10; i++) await log.appendDenied({ actor: 'anonymous', action: 'disable', target: `p${i}`, code: 'PLW_ERR_ADMIN_UNAUTHORIZED' });
    await log.append({ actor: 'token:abc', action: 'enable', target: 'p0', result: 'ok' }); // allowed actions are never limited
    let got = await lines(log);
    assert.deepEqual(
      got.map((l) => `${l.action} ${l.target} ${l.result}`),
      ['disable p0 denied', 'disable p1 denied', 'disable p2 denied', 'enable p0 ok'],
    );
    // The summary comes at the end of the window on its own (timer), not only with the next denied request.
    got = await waitFor(
      async () => {
        const now = await lines(log);
        return now.length > 4 && now;
      },
      { what: 'the summary line' },
    );
    const summary = got.at(-1)!;
    assert.equal(summary.action, 'denied_suppressed');
    assert.match(summary.message!, /^7 more denied admin request\(s\)/);
    // A new window writes again.
    await log.appendDenied({ actor: 'anonymous', action: 'x'.repeat(1000), target: 'p', code: 'PLW_ERR_ADMIN_UNAUTHORIZED' });
    const last = (await lines(log)).at(-1)!;
    assert.equal(last.result, 'denied');
    assert.ok(last.action!.length <= 257, 'long fields are cut');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// The dispatcher alone: enter forward, leave backward from below the step that answered, sync and
// promise results alike, throws and rejections turned into the outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch } from './pipeline.js';
import { RequestContext, type Outcome, type Step } from './steps/context.js';

const io = { remoteAddress: () => '127.0.0.1', send: () => undefined };
const ctx = () => new RequestContext({ id: 'r1', method: 'GET', path: '/', params: {}, query: {}, headers: {}, context: {} }, io, 0);
const ok = (status: number): Outcome => ({ status, payload: String(status) });

function traced(trail: string[], name: string, opts: { async?: boolean; answer?: number; throwIn?: boolean; leave?: boolean } = {}): Step {
  const wrap = <T>(v: () => T) => (opts.async ? Promise.resolve().then(v) : v());
  const step: { name: string; enter?: Step['enter']; leave?: Step['leave'] } = {
    name,
    enter: () =>
      wrap(() => {
        trail.push(`in:${name}`);
        if (opts.throwIn) throw new Error(`${name} broke`);
        return opts.answer ? ok(opts.answer) : undefined;
      }),
  };
  if (opts.leave !== false) step.leave = (c) => wrap(() => void trail.push(`out:${name}:${c.outcome.status}`));
  return step;
}

test('all sync: runs to the end without a promise; leave in reverse from below the answering step', () => {
  const trail: string[] = [];
  const c = ctx();
  const r = dispatch([traced(trail, 'a'), traced(trail, 'b'), traced(trail, 'h', { answer: 200 })], c);
  assert.equal(r, undefined, 'no promise when every step answered synchronously');
  assert.deepEqual(trail, ['in:a', 'in:b', 'in:h', 'out:b:200', 'out:a:200']);
});

test('a promise anywhere continues the same way; a short-circuit skips the rest', async () => {
  const trail: string[] = [];
  const c = ctx();
  const r = dispatch([traced(trail, 'a', { async: true }), traced(trail, 'b', { answer: 418, async: true }), traced(trail, 'h', { answer: 200 })], c);
  assert.ok(r instanceof Promise);
  await r;
  assert.deepEqual(trail, ['in:a', 'in:b', 'out:a:418']);
  assert.equal(c.outcome.status, 418);
});

test('a throw or a rejection becomes the outcome (500 PLW_ERR_INTERNAL) and the way out still runs', async () => {
  for (const async of [false, true]) {
    const trail: string[] = [];
    const c = ctx();
    await dispatch([traced(trail, 'a'), traced(trail, 'b', { throwIn: true, async }), traced(trail, 'h', { answer: 200 })], c);
    assert.deepEqual(trail, ['in:a', 'in:b', 'out:a:500']);
    assert.equal((c.outcome as { code?: string }).code, 'PLW_ERR_INTERNAL');
  }
  // A leave that throws replaces the outcome; the steps before it still leave.
  const trail: string[] = [];
  const c = ctx();
  const breaking: Step = { name: 'x', leave: () => Promise.reject(new Error('leave broke')) };
  await dispatch([traced(trail, 'a'), breaking, traced(trail, 'h', { answer: 200 })], c);
  assert.deepEqual(trail, ['in:a', 'in:h', 'out:a:500']);
});

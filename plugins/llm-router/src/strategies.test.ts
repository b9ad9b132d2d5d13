import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProviderCandidate } from 'plugway/sdk';
import { pick, WeightedRoundRobin } from './strategies.js';

const c = (id: string, more: Partial<ProviderCandidate> = {}): ProviderCandidate => ({ id, models: ['m'], health: 'healthy', order: Number(id.slice(1)), ...more });

test('priority: the highest priority, list order between equals', () => {
  const wrr = new WeightedRoundRobin();
  assert.equal(pick('priority', [c('p0'), c('p1', { priority: 5 }), c('p2', { priority: 5 })], wrr)!.id, 'p1');
  assert.equal(pick('priority', [c('p0'), c('p1')], wrr)!.id, 'p0');
});

test('weighted: smooth round-robin follows the weights exactly over a cycle', () => {
  const wrr = new WeightedRoundRobin();
  const cands = [c('p0', { weight: 3 }), c('p1', { weight: 1 })];
  const counts: Record<string, number> = { p0: 0, p1: 0 };
  for (let i = 0; i < 400; i++) counts[pick('weighted', cands, wrr)!.id]!++;
  assert.deepEqual(counts, { p0: 300, p1: 100 });
});

test('least-latency: unmeasured first, then the lowest EWMA', () => {
  const wrr = new WeightedRoundRobin();
  assert.equal(pick('least-latency', [c('p0', { ttftMs: 5 }), c('p1')], wrr)!.id, 'p1');
  assert.equal(pick('least-latency', [c('p0', { ttftMs: 50 }), c('p1', { ttftMs: 5 })], wrr)!.id, 'p1');
});

test('least-cost and least-busy', () => {
  const wrr = new WeightedRoundRobin();
  assert.equal(pick('least-cost', [c('p0', { price: { input: 1, output: 2 } }), c('p1', { price: { input: 0.1, output: 0.2 } }), c('p2')], wrr)!.id, 'p1');
  assert.equal(pick('least-busy', [c('p0', { inFlight: 3 }), c('p1', { inFlight: 1 }), c('p2', { inFlight: 1 })], wrr)!.id, 'p1');
});

// The five strategies: each picks one candidate's id. Ties go to the higher priority, then to the
// earlier entry of the providers list.
import type { ProviderCandidate } from 'plugway/sdk';

export const STRATEGIES = ['priority', 'weighted', 'least-latency', 'least-cost', 'least-busy'] as const;
export type Strategy = (typeof STRATEGIES)[number];

const byRank = (a: ProviderCandidate, b: ProviderCandidate) => (b.priority ?? 0) - (a.priority ?? 0) || (a.order ?? 0) - (b.order ?? 0);

function minBy(cands: ProviderCandidate[], score: (c: ProviderCandidate) => number): ProviderCandidate {
  let best = cands[0]!;
  let bestScore = score(best);
  for (const c of cands.slice(1)) {
    const s = score(c);
    if (s < bestScore || (s === bestScore && byRank(c, best) < 0)) {
      best = c;
      bestScore = s;
    }
  }
  return best;
}

/**
 * Smooth weighted round-robin (nginx's): over any window the picks follow the weights exactly,
 * spread out rather than in runs. State per candidate set (a model's group).
 */
export class WeightedRoundRobin {
  private readonly current = new Map<string, Map<string, number>>();

  pick(cands: ProviderCandidate[]): ProviderCandidate {
    const key = cands
      .map((c) => c.id)
      .sort()
      .join('\u0000');
    let cur = this.current.get(key);
    if (!cur) {
      if (this.current.size > 1000) this.current.clear();
      this.current.set(key, (cur = new Map()));
    }
    let total = 0;
    let best: ProviderCandidate | undefined;
    let bestW = -Infinity;
    for (const c of [...cands].sort(byRank)) {
      const w = Math.max(0, c.weight ?? 1);
      total += w;
      const v = (cur.get(c.id) ?? 0) + w;
      cur.set(c.id, v);
      if (v > bestW) {
        bestW = v;
        best = c;
      }
    }
    cur.set(best!.id, bestW - total);
    return best!;
  }
}

export function pick(strategy: Strategy, cands: ProviderCandidate[], wrr: WeightedRoundRobin): ProviderCandidate | undefined {
  if (cands.length === 0) return undefined;
  switch (strategy) {
    case 'priority':
      return [...cands].sort(byRank)[0];
    case 'weighted':
      return wrr.pick(cands);
    case 'least-latency': {
      // A provider not measured yet is tried first, so that every one gets a figure.
      const unmeasured = cands.filter((c) => c.ttftMs === undefined);
      if (unmeasured.length) return [...unmeasured].sort(byRank)[0];
      return minBy(cands, (c) => c.ttftMs!);
    }
    case 'least-cost':
      return minBy(cands, (c) => (c.price ? c.price.input + c.price.output : Number.POSITIVE_INFINITY));
    case 'least-busy':
      return minBy(cands, (c) => c.inFlight ?? 0);
  }
}

// llm-router: plugway's built-in router plugin for the llm-gateway, written only against
// plugway/sdk. It answers for the configured strategy and picks among the candidates it is given.
import type { ProviderCandidate, ProviderRequest, RouterPlugin } from 'plugway/sdk';
import { pick, STRATEGIES, WeightedRoundRobin, type Strategy } from './strategies.js';

export interface LlmRouterConfig {
  strategies?: Strategy[];
}

export default function create(config: LlmRouterConfig = {}): RouterPlugin<LlmRouterConfig> {
  const known = new Set<string>(config.strategies ?? STRATEGIES);
  const wrr = new WeightedRoundRobin();
  return {
    canRoute(req: ProviderRequest) {
      return known.has(req.strategy ?? 'priority');
    },
    selectProvider(req: ProviderRequest, candidates: ProviderCandidate[]) {
      const usable = candidates.filter((c) => c.health !== 'unhealthy');
      return pick((req.strategy ?? 'priority') as Strategy, usable.length ? usable : candidates, wrr)?.id;
    },
  };
}

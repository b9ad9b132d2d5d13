// The dependency graph: plugins are nodes, edges come from manifest dependencies plus
// plugins.configs.<id>.dependencies. Checked at start (registration order does not matter, as in Hapi).

import semver from 'semver';
import { PlugwayError } from '../errors.js';
import type { DependencySpec } from '../manifest/types.js';

export interface GraphNode {
  id: string;
  version: string;
  dependencies: readonly DependencySpec[];
}

export interface GraphAnalysis {
  /** Ids that can start, as levels: every id's dependencies are in earlier levels. */
  levels: string[][];
  /** Ids that cannot start, with why (missing, version, cycle, or a dependency that cannot start). */
  failed: Map<string, PlugwayError>;
  /** Optional dependencies that are absent (the plugin still starts). */
  warnings: PlugwayError[];
}

export function satisfies(version: string, range: string): boolean {
  return semver.satisfies(version, range, { includePrerelease: true });
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();
  /** id → ids it needs (present, version-compatible; optional ones included for ordering). */
  private readonly edges = new Map<string, string[]>();
  /** id → ids that need it (required edges only: an optional dependency's failure harms no one). */
  private readonly requiredBy = new Map<string, string[]>();
  /** id → ids that start after it (required and optional edges). */
  private readonly orderedAfter = new Map<string, string[]>();
  private readonly problems = new Map<string, PlugwayError>();
  private readonly warnings: PlugwayError[] = [];

  /** Dependencies left out to break allowed cycles (allowCycles): "a→b" (a does not wait for b). */
  readonly ignoredEdges: string[] = [];

  constructor(nodes: Iterable<GraphNode>, options: { allowCycles?: boolean } = {}) {
    for (const n of nodes) this.nodes.set(n.id, n);
    for (const n of this.nodes.values()) this.link(n);
    if (options.allowCycles) this.breakCycles();
  }

  /**
   * plugins.allow_circular_dependencies: inside each cycle, a plugin's dependency on one whose id sorts
   * later is left out, so the members start in id order (the smallest first); each cycle is a warning.
   */
  private breakCycles(): void {
    for (let cycles = this.cycles(); cycles.length; cycles = this.cycles()) {
      for (const cycle of cycles) {
        const order = [...new Set(cycle)].sort();
        const dropped: string[] = [];
        for (let i = 0; i + 1 < cycle.length; i++) {
          const from = cycle[i]!;
          const to = cycle[i + 1]!;
          if (to > from && this.dropEdge(from, to)) dropped.push(`${from}→${to}`);
        }
        this.ignoredEdges.push(...dropped);
        this.warnings.push(new PlugwayError('PLW_ERR_DEPENDENCY_CYCLE_ALLOWED', { cycle: cycle.join(' → '), order: order.join(', '), ignored: dropped.join(', ') }));
      }
    }
  }

  private dropEdge(from: string, to: string): boolean {
    const out = this.edges.get(from);
    if (!out?.includes(to)) return false;
    out.splice(out.indexOf(to), 1);
    for (const m of [this.requiredBy, this.orderedAfter]) {
      const list = m.get(to);
      if (list?.includes(from)) list.splice(list.indexOf(from), 1);
    }
    return true;
  }

  private link(n: GraphNode): void {
    const out: string[] = [];
    for (const dep of n.dependencies) {
      const target = this.nodes.get(dep.id);
      const params = { id: n.id, dependency: dep.id, range: dep.range };
      if (!target) {
        if (dep.optional) this.warnings.push(new PlugwayError('PLW_ERR_DEPENDENCY_OPTIONAL_ABSENT', params));
        else if (!this.problems.has(n.id)) this.problems.set(n.id, new PlugwayError('PLW_ERR_DEPENDENCY_MISSING', params));
        continue;
      }
      // A present but incompatible dependency is an error even when optional: its API is not the one expected.
      if (!satisfies(target.version, dep.range)) {
        if (!this.problems.has(n.id)) {
          this.problems.set(n.id, new PlugwayError('PLW_ERR_DEPENDENCY_VERSION', { ...params, version: target.version }));
        }
        continue;
      }
      if (out.includes(dep.id)) continue;
      out.push(dep.id);
      let after = this.orderedAfter.get(dep.id);
      if (!after) this.orderedAfter.set(dep.id, (after = []));
      after.push(n.id);
      if (!dep.optional) {
        let rb = this.requiredBy.get(dep.id);
        if (!rb) this.requiredBy.set(dep.id, (rb = []));
        rb.push(n.id);
      }
    }
    this.edges.set(n.id, out);
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  /** Ids `id` depends on (present ones, in declaration order). */
  dependenciesOf(id: string): string[] {
    return this.edges.get(id) ?? [];
  }

  /** Ids that require `id` directly. */
  dependentsOf(id: string): string[] {
    return this.requiredBy.get(id) ?? [];
  }

  /** Every id that requires `id`, directly or not, nearest first. */
  transitiveDependentsOf(id: string): string[] {
    const seen = new Set<string>([id]);
    const order: string[] = [];
    const queue = [id];
    for (let i = 0; i < queue.length; i++) {
      for (const d of this.dependentsOf(queue[i]!)) {
        if (seen.has(d)) continue;
        seen.add(d);
        order.push(d);
        queue.push(d);
      }
    }
    return order;
  }

  /** Every cycle as a path that returns to its start: ['a', 'b', 'c', 'a']. */
  cycles(): string[][] {
    const color = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const found: string[][] = [];
    const visit = (id: string): void => {
      color.set(id, 1);
      stack.push(id);
      for (const next of this.dependenciesOf(id)) {
        const c = color.get(next);
        if (c === 1) found.push([...stack.slice(stack.indexOf(next)), next]);
        else if (c === undefined) visit(next);
      }
      stack.pop();
      color.set(id, 2);
    };
    for (const id of [...this.nodes.keys()].sort()) if (!color.has(id)) visit(id);
    return found;
  }

  /**
   * Start levels and the ids that cannot start. `blocked` are ids that must not start
   * (already failed, disabled): their dependents are reported with PLW_ERR_DEPENDENCY_FAILED.
   */
  analyze(blocked: ReadonlyMap<string, PlugwayError | undefined> = new Map()): GraphAnalysis {
    const failed = new Map<string, PlugwayError>(this.problems);
    for (const cycle of this.cycles()) {
      const err = new PlugwayError('PLW_ERR_DEPENDENCY_CYCLE', { cycle: cycle.join(' → ') });
      for (const id of cycle.slice(0, -1)) if (!failed.has(id)) failed.set(id, err);
    }
    const excluded = new Set<string>([...failed.keys(), ...blocked.keys()]);
    // Spread failure to dependents (required edges), naming the nearest failed dependency.
    const queue = [...excluded];
    for (let i = 0; i < queue.length; i++) {
      const bad = queue[i]!;
      for (const d of this.dependentsOf(bad)) {
        if (excluded.has(d)) continue;
        excluded.add(d);
        failed.set(d, new PlugwayError('PLW_ERR_DEPENDENCY_FAILED', { id: d, dependency: bad }));
        queue.push(d);
      }
    }
    for (const id of blocked.keys()) {
      const e = blocked.get(id);
      if (e && this.nodes.has(id)) failed.set(id, e);
    }
    // Kahn's algorithm by levels over what remains.
    const remaining = new Map<string, number>();
    for (const id of this.nodes.keys()) {
      if (excluded.has(id)) continue;
      remaining.set(id, this.dependenciesOf(id).filter((d) => !excluded.has(d)).length);
    }
    const levels: string[][] = [];
    let current = [...remaining].filter(([, n]) => n === 0).map(([id]) => id);
    while (current.length) {
      current.sort();
      levels.push(current);
      const next: string[] = [];
      for (const id of current) {
        remaining.delete(id);
        for (const other of this.orderedAfter.get(id) ?? []) {
          const n = remaining.get(other);
          if (n === undefined) continue;
          remaining.set(other, n - 1);
          if (n - 1 === 0) next.push(other);
        }
      }
      current = next;
    }
    return { levels, failed, warnings: [...this.warnings] };
  }

  /** Start levels (throws nothing: ids that cannot start are left out; see analyze()). */
  startOrder(): string[][] {
    return this.analyze().levels;
  }

  /** Stop levels: the reverse of start (dependents stop before what they depend on). */
  stopOrder(): string[][] {
    return [...this.startOrder()].reverse();
  }
}

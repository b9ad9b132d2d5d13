// ctx.metrics: Prometheus metrics defined by plugins, kept in one prom-client Registry per host
// that the gateway appends to GET /metrics. A name defined again with the same shape is shared.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricLabels, PluginMetricsRegistry } from '../sdk/context.js';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** The gateway's own series: a plugin cannot shadow them. */
const RESERVED = /^plugway_(http|plugin|circuit|rate_limited|bulkhead|hook|runtime|releases?|reload)/;

type Kind = 'counter' | 'histogram' | 'gauge';
interface Defined {
  kind: Kind;
  labels: string;
  metric: Counter<string> | Histogram<string> | Gauge<string>;
}

export class PluginMetricStore {
  readonly registry = new Registry();
  private readonly defined = new Map<string, Defined>();

  private define(kind: Kind, owner: string, name: string, help: string, labelNames: readonly string[] = [], make: () => Defined['metric']): Defined['metric'] {
    if (!NAME.test(name)) throw new TypeError(`Plugin ${owner}: ctx.metrics: "${name}" is not a Prometheus metric name`);
    if (RESERVED.test(name)) throw new TypeError(`Plugin ${owner}: ctx.metrics: "${name}" is one of the gateway's own series; pick another name`);
    const labels = [...labelNames].sort().join(',');
    const old = this.defined.get(name);
    if (old) {
      if (old.kind !== kind || old.labels !== labels) {
        throw new TypeError(`Plugin ${owner}: ctx.metrics: ${name} is already a ${old.kind} with labels [${old.labels}]; a ${kind} with [${labels}] cannot share its name`);
      }
      return old.metric;
    }
    void help;
    const metric = make();
    this.defined.set(name, { kind, labels, metric });
    return metric;
  }

  /** The view one plugin gets. */
  forPlugin(owner: string): PluginMetricsRegistry {
    const registers = [this.registry];
    return {
      counter: ({ name, help, labelNames }) => {
        const c = this.define('counter', owner, name, help, labelNames, () => new Counter({ name, help, labelNames: [...(labelNames ?? [])], registers })) as Counter<string>;
        return { inc: (labels?: MetricLabels, value = 1) => (labels ? c.inc(labels, value) : c.inc(value)) };
      },
      histogram: ({ name, help, labelNames, buckets }) => {
        const h = this.define(
          'histogram',
          owner,
          name,
          help,
          labelNames,
          () => new Histogram({ name, help, labelNames: [...(labelNames ?? [])], registers, ...(buckets ? { buckets: [...buckets] } : {}) }),
        ) as Histogram<string>;
        return { observe: (labels: MetricLabels | undefined, value: number) => (labels ? h.observe(labels, value) : h.observe(value)) };
      },
      gauge: ({ name, help, labelNames }) => {
        const g = this.define('gauge', owner, name, help, labelNames, () => new Gauge({ name, help, labelNames: [...(labelNames ?? [])], registers })) as Gauge<string>;
        return { set: (labels: MetricLabels | undefined, value: number) => (labels ? g.set(labels, value) : g.set(value)) };
      },
    };
  }
}

// Declaring Prometheus figures in one registry: a name, its help line and the labels it is broken down by,
// one call each, so that a new figure is one line beside its siblings rather than a copied block.
import { Counter, Gauge, type Registry } from 'prom-client';

export function promMetrics(registry: Registry) {
  return {
    gauge: <L extends string>(
      name: string,
      help: string,
      labels: readonly L[] = [],
      collect?: (this: Gauge<L>) => void | Promise<void>,
    ) =>
      new Gauge<L>({
        name,
        help,
        labelNames: labels,
        registers: [registry],
        ...(collect ? { collect } : {}),
      }),
    counter: <L extends string>(name: string, help: string, labels: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames: labels, registers: [registry] }),
  };
}

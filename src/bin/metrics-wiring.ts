import type { Metrics } from '../api/metrics.js';
import type { Orchestrator } from '../core/orchestrator.js';
import type { StateStore } from '../store/state-store.js';

/** The cluster-level gauges of /metrics, read from the orchestrator's cache at scrape time. */
export function registerMetrics(metrics: Metrics, orchestrator: Orchestrator, store: StateStore): void {
  metrics.gauge('orchestrator_workloads', 'Workloads defined', () => orchestrator.cache.workloads.size);
  metrics.gauge('orchestrator_instances', 'Instances by status', () => Object.entries(orchestrator.cache.tally.byStatus).map(([status, n]) => [{ status }, n]));
  metrics.gauge('orchestrator_nodes', 'Nodes by status', () => {
    const counts = new Map<string, number>();
    for (const n of orchestrator.cache.nodes.values()) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
    return [...counts].map(([status, n]) => [{ status }, n]);
  });
  metrics.gauge('orchestrator_reconcile_queue_length', 'Workloads waiting to be reconciled', () => orchestrator.stats().queueLength);
  metrics.gauge('orchestrator_reconciles_total', 'Reconciles run since start', () => orchestrator.stats().reconciles);
  metrics.gauge('orchestrator_reconcile_errors_total', 'Reconciles that failed since start', () => orchestrator.stats().reconcileErrors);
  metrics.gauge('orchestrator_store_revision', `Revision of the ${store.name} state store`, () => orchestrator.cache.instances.revision);
  if (store.writeStats) {
    const stats = store.writeStats.bind(store);
    metrics.gauge('orchestrator_store_commits_total', 'Commits the state store acknowledged', () => stats().commits);
    metrics.gauge('orchestrator_store_transactions_total', 'Durable transactions (fsyncs) that carried them: commits issued together share one', () => stats().transactions);
  }
  metrics.gauge('process_resident_memory_bytes', 'Resident memory of this process', () => process.memoryUsage().rss);
}

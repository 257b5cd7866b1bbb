import { Counter, Gauge, type Registry } from 'prom-client'
import type { NotifyStore } from './notify-store.ts'

/**
 * Notification metrics, registered on the process's registry (platform/metrics.ts). The
 * counters count this process's attempts; the gauges read the registry at scrape time, so a
 * give-up stays visible after a restart.
 */
export function createNotifyMetrics (registry: Registry, store: NotifyStore) {
  const registers = [registry]
  return {
    sent: new Counter({ name: 'waystation_notifications_sent_total', help: 'Webhook notifications delivered (2xx)', registers }),
    retried: new Counter({ name: 'waystation_notifications_retried_total', help: 'Webhook attempts that failed and will be retried (network error, timeout, 5xx, 408, 429)', registers }),
    givenUp: new Counter({ name: 'waystation_notifications_given_up_total', help: 'Webhook notifications given up (too old, refused with 4xx, webhook deleted)', labelNames: ['reason'] as const, registers }),
    byState: new Gauge({
      name: 'waystation_notifications',
      help: 'Webhook notifications in the registry by state (pending, sent, given_up)',
      labelNames: ['state'] as const,
      registers,
      // Read from the registry: shown once across workers (cluster/workers/worker-metrics.ts).
      aggregator: 'first',
      async collect () {
        for (const [state, n] of Object.entries(await store.counts())) this.set({ state }, n)
      }
    })
  }
}

export type NotifyMetrics = ReturnType<typeof createNotifyMetrics>

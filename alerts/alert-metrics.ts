import { Gauge, type Registry as PromRegistry } from 'prom-client'
import type { AlertStore } from '../registry/alert-store.ts'

/**
 * `waystation_alerts_open{rule,severity,state}`: open alerts (pending, firing, acknowledged),
 * read from the registry at scrape time, so every process that serves /metrics (API or broker)
 * shows the same figure and a restart loses nothing. Labels are fixed sets (13 rules × 3
 * severities × 3 states at most); a combination that has no open alert any more reads 0 until
 * the next restart of the process instead of vanishing, so a dashboard sees it go to zero.
 */
export function createAlertMetrics (metrics: PromRegistry, alerts: Pick<AlertStore, 'openCounts'>) {
  const seen = new Set<string>()
  return new Gauge({
    name: 'waystation_alerts_open',
    help: 'Open alerts (pending, firing, acknowledged) in the registry by rule, severity and state',
    labelNames: ['rule', 'severity', 'state'] as const,
    registers: [metrics],
    // The same figure in every worker: shown once across workers (cluster/workers/worker-metrics.ts).
    aggregator: 'first',
    async collect () {
      const now = new Set<string>()
      for (const r of await alerts.openCounts()) {
        this.set({ rule: r.rule, severity: r.severity, state: r.state }, r.n)
        now.add(`${r.rule}\u0000${r.severity}\u0000${r.state}`)
      }
      for (const k of seen) {
        if (now.has(k)) continue
        const [rule, severity, state] = k.split('\u0000') as [string, string, string]
        this.set({ rule, severity, state }, 0)
      }
      for (const k of now) seen.add(k)
    }
  })
}

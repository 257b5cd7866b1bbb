// /metrics with `--workers N`: whichever worker takes the scrape asks the primary, which gathers
// every worker's registry over the cluster IPC channel and answers with all of them, so one
// scrape shows the whole machine (docs/cluster.md "Metrics across workers").
//
// Each worker's own series carry a `worker` label ("w1", "w2", …) rather than being summed
// here: a worker that restarts starts its counters from zero, and a sum over workers would then
// drop, which Prometheus takes for a reset of the whole counter (rate() would count the other
// workers' totals again). Per-worker series reset on their own; `sum without (worker) (rate(…))`
// gives the machine's rate. Metrics read from the shared registry at scrape time (open alerts,
// notifications by state: `aggregator: 'first'`) are the same figure in every worker and appear
// once, without the label.
import cluster, { type Worker } from 'node:cluster'
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client'
import type { MetricsSource } from '../../api/routes/metrics.ts'
import type { Logger } from '../../platform/logger.ts'

const SCRAPE = 'waystation:metrics-scrape' // worker → primary: a scrape to answer
const SCRAPED = 'waystation:metrics-scraped' // primary → worker: the text, or an error
const COLLECT = 'waystation:metrics-collect' // primary → every worker: your registry, please
const COLLECTED = 'waystation:metrics-collected' // worker → primary: its registry as JSON

// A worker that does not answer within this time is left out of the scrape (and logged).
const COLLECT_TIMEOUT_MS = 5_000
const SCRAPE_TIMEOUT_MS = COLLECT_TIMEOUT_MS + 5_000

type Json = Array<MetricObjectWithValues<MetricValue<string>>>
type Msg = { type: string, id: number, text?: string, error?: string, metrics?: Json }
const is = (m: unknown, type: string): m is Msg => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type

/** The worker's side: answers the primary's collection and asks it for every scrape. */
export function workerMetricsSource (registry: Registry): MetricsSource {
  const waiting = new Map<number, { resolve: (text: string) => void, reject: (err: Error) => void, timer: NodeJS.Timeout }>()
  let next = 0
  process.on('message', (m) => {
    if (is(m, COLLECT)) {
      void registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: COLLECTED, id: m.id, metrics }),
        (err: Error) => process.send?.({ type: COLLECTED, id: m.id, error: err.message }))
      return
    }
    if (!is(m, SCRAPED)) return
    const w = waiting.get(m.id)
    if (!w) return
    waiting.delete(m.id)
    clearTimeout(w.timer)
    if (m.error !== undefined) w.reject(new Error(m.error))
    else w.resolve(m.text ?? '')
  })
  return {
    contentType: registry.contentType,
    metrics: () => new Promise<string>((resolve, reject) => {
      const id = next++
      const timer = setTimeout(() => { waiting.delete(id); reject(new Error('the primary did not answer for the workers\' metrics')) }, SCRAPE_TIMEOUT_MS)
      waiting.set(id, { resolve, reject, timer })
      process.send!({ type: SCRAPE, id })
    })
  }
}

/** The primary's side: answers every worker's scrape with all workers' metrics. */
export function serveWorkerMetrics (o: { workers: () => Array<{ name: string, worker: Worker }>, logger: Logger }): () => void {
  let next = 0
  const pending = new Map<number, (from: Worker, m: Msg) => void>()

  async function collect (): Promise<string> {
    const live = o.workers().filter((w) => w.worker.isConnected())
    const id = next++
    const got = new Map<Worker, Json>()
    const answered = new Set<Worker>()
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const missing = live.filter((w) => !answered.has(w.worker)).map((w) => w.name)
        o.logger.warn({ missing }, 'metrics: workers did not answer in time; left out of this scrape')
        done()
      }, COLLECT_TIMEOUT_MS)
      function done (): void { clearTimeout(timer); pending.delete(id); resolve() }
      pending.set(id, (from, m) => {
        answered.add(from)
        if (m.metrics) got.set(from, m.metrics)
        else o.logger.warn({ err: m.error }, 'metrics: a worker failed to collect its metrics')
        if (live.every((w) => answered.has(w.worker))) done()
      })
      if (live.length === 0) return done()
      for (const w of live) w.worker.send({ type: COLLECT, id })
    })
    return mergeWorkerMetrics(live.filter((w) => got.has(w.worker)).map((w) => ({ name: w.name, metrics: got.get(w.worker)! })))
  }

  const onMessage = (worker: Worker, m: unknown): void => {
    if (is(m, COLLECTED)) { pending.get(m.id)?.(worker, m); return }
    if (!is(m, SCRAPE)) return
    collect().then(
      (text) => { if (worker.isConnected()) worker.send({ type: SCRAPED, id: m.id, text }) },
      (err: Error) => { if (worker.isConnected()) worker.send({ type: SCRAPED, id: m.id, error: err.message }) })
  }
  cluster.on('message', onMessage)
  return () => { cluster.off('message', onMessage) }
}

/** Every worker's series with its `worker` label; the shared registry's figures once. */
export function mergeWorkerMetrics (perWorker: Array<{ name: string, metrics: Json }>): Promise<string> {
  const labelled = perWorker.map(({ name, metrics }) => metrics.map((m) => m.aggregator === 'first'
    ? m
    : { ...m, aggregator: 'sum' as const, values: m.values.map((v) => ({ ...v, labels: { ...v.labels, worker: name } })) }))
  return Promise.resolve(AggregatorRegistry.aggregate(labelled as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics())
}

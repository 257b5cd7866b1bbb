// GET /metrics: Prometheus text exposition of this process's registry (ingest, broker and
// process metrics when they run here), or with `--workers N` every worker's. Hidden from the
// OpenAPI document: it is for scrapers.
import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'

/** What /metrics renders: this process's registry, or every worker's (cluster/workers/worker-metrics.ts). */
export type MetricsSource = Pick<Registry, 'contentType' | 'metrics'>

export const metricsRoute: FastifyPluginAsync<{ metrics: MetricsSource }> = async (app, { metrics }) => {
  // Counts over the whole fleet: not for a token scoped to some stations.
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn', config: { allStations: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.contentType)
    reply.header('cache-control', 'no-store')
    return metrics.metrics()
  })
}

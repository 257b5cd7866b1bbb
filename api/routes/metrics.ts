// GET /metrics: Prometheus text exposition of this process's registry (ingest, broker and
// process metrics when they run here). Hidden from the OpenAPI document: it is for scrapers.
import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'

export const metricsRoute: FastifyPluginAsync<{ metrics: Registry }> = async (app, { metrics }) => {
  // Counts over the whole fleet: not for a token scoped to some stations.
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn', config: { allStations: true } }, async (_req, reply) => {
    reply.header('content-type', metrics.contentType)
    reply.header('cache-control', 'no-store')
    return metrics.metrics()
  })
}

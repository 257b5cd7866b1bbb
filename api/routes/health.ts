// GET /health: liveness and dependencies in one answer, for load balancers (status code)
// and people (body). Every check runs in parallel under its own timeout, so the route
// answers within about one probe timeout even when a dependency hangs.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import { ProbeResult, type GuardedProbes } from '../probes.ts'

export const HealthBody = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({
    influx: ProbeResult,
    broker: ProbeResult,
    registry: z.object({ ok: z.boolean() })
  })
})

export type HealthRouteOptions = { probes: GuardedProbes, registry: Registry }

// Any query proves the registry's database is open and readable; a lookup by primary key is
// the cheapest one the registry offers, whatever the number of stations.
async function registryOk (registry: Registry): Promise<boolean> {
  try {
    await registry.getStation('health-check')
    return true
  } catch {
    return false
  }
}

export const healthRoute: FastifyPluginAsyncZod<HealthRouteOptions> = async (app, { probes, registry }) => {
  app.get('/health', {
    // Load balancers and uptime checks have no token.
    config: { auth: 'public' },
    schema: {
      summary: 'Service health',
      description: 'Checks InfluxDB, the MQTT broker and the registry. 503 when any check fails.',
      tags: ['operations'],
      response: {
        200: HealthBody.describe('All checks pass'),
        503: HealthBody.describe('At least one check failed')
      }
    }
  }, async (request, reply) => {
    const [influx, broker, registryUp] = await Promise.all([probes.influx(), probes.broker(), registryOk(registry)])
    const checks = { influx, broker, registry: { ok: registryUp } }
    const ok = influx.ok && broker.ok && checks.registry.ok
    if (!ok) request.log.warn({ checks }, 'health check failed')
    // Never cached: a stale "ok" from a proxy would hide an outage.
    reply.header('cache-control', 'no-store')
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks })
  })
}

// The figure endpoints in the OpenAPI document: parameters described, every answer listed,
// and an example of each 200 body that the route's own response schema accepts.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildApp, type App } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { UsageBody } from '../api/routes/usage.ts'
import { OccupancyBody } from '../api/routes/occupancy.ts'
import { PeakHoursBody } from '../api/routes/peak-hours.ts'
import { DwellBody } from '../api/routes/dwell.ts'
import { ComfortBody } from '../api/routes/comfort.ts'
import { CompletenessBody } from '../api/routes/completeness.ts'
import { FleetBody } from '../api/routes/fleet.ts'
import { VisitsBody } from '../api/routes/visits.ts'

let app: App
beforeAll(async () => {
  const ok = async () => ({ ok: true })
  app = buildApp({ registry: openRegistry(':memory:'), influx: createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'w' }), logger: createLogger('silent'), probes: { influx: ok, broker: ok } })
  await app.ready()
})
afterAll(() => app.close())

const FIGURES: Record<string, { body?: { safeParse: (v: unknown) => { success: boolean } }, query: string[] }> = {
  '/stations/{id}/visits': { body: VisitsBody, query: ['from', 'to'] },
  '/stations/{id}/usage': { body: UsageBody, query: ['from', 'to', 'source', 'granularity'] },
  '/stations/{id}/occupancy': { body: OccupancyBody, query: ['from', 'to', 'source', 'scope', 'interval'] },
  '/stations/{id}/peak-hours': { body: PeakHoursBody, query: ['from', 'to', 'source'] },
  '/stations/{id}/dwell': { body: DwellBody, query: ['from', 'to', 'source', 'cap', 'bin'] },
  '/stations/{id}/comfort': { body: ComfortBody, query: ['from', 'to', 'source', 'scope', 'interval', 'temperature', 'humidity', 'co2', 'pm25'] },
  '/stations/{id}/completeness': { body: CompletenessBody, query: ['from', 'to', 'source', 'scope'] },
  '/fleet/summary': { body: FleetBody, query: ['from', 'to', 'source', 'stations', 'district', 'sort'] },
  '/stations/{id}/reports/{month}': { query: ['format', 'lang'] },
  '/fleet/reports/{month}': { query: ['format', 'lang', 'stations', 'district'] }
}

it('documents every figure endpoint with parameters, answers and an example', async () => {
  const doc = (await app.inject({ url: '/docs/json' })).json()
  for (const [path, want] of Object.entries(FIGURES)) {
    const op = doc.paths[path]?.get
    expect(op, path).toBeDefined()
    expect(op.summary, path).toBeTruthy()
    expect(op.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name).sort(), path).toEqual([...want.query].sort())
    for (const p of op.parameters) {
      if (p.in === 'query' && p.name !== 'to' && p.name !== 'from') expect(p.description, `${path} ${p.name}`).toBeTruthy()
    }
    expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(['200', '400', '404', '500']))
    const example = op.responses['200'].content['application/json'].schema.example
    expect(example, path).toBeDefined()
    // The documented example is a valid answer of the route.
    if (want.body) expect(want.body.safeParse(example).success, path).toBe(true)
  }
})

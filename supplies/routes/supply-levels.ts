// GET /stations/:id/supplies and GET /supplies: each item's level, % of capacity, last reading
// (sensor or hand count) and forecast, for a station or for every station the caller's token
// may see (optionally one district). The model is refreshed when older than maxAgeMs.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { visibleStations } from '../../api/auth/station-access.ts'
import { errorResponses, httpError, stationFigureErrors } from '../../api/errors.ts'
import { StationParams } from '../../api/params.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { Delivery, ItemForecast } from '../schemas.ts'
import type { SupplyModel } from '../supply-model.ts'

export type SupplyRouteOptions = { registry: Registry, model: SupplyModel, now: () => number, maxAgeMs: number }

const Horizon = z.coerce.number().int().min(1).max(24 * 14).default(24 * 7).describe('Hours to look ahead (default a week)')

const StationSupplies = z.object({
  stationId: z.string(),
  at: z.string(),
  horizonHours: z.int(),
  items: z.array(ItemForecast.extend({ nameZh: z.string().nullable(), nameEn: z.string().nullable(), unit: z.string().nullable(), weather: z.string().nullable() })),
  deliveries: z.array(Delivery)
})

export const supplyLevelsRoute: FastifyPluginAsyncZod<SupplyRouteOptions> = async (app, { registry, model, now, maxAgeMs }) => {
  const named = async (rows: ItemForecast[]) => Promise.all(rows.map(async (r) => {
    const c = await registry.supplies.item(r.stationId, r.item)
    return { ...r, nameZh: c?.nameZh ?? null, nameEn: c?.nameEn ?? null, unit: c?.unit ?? null, weather: c?.weather ?? null }
  }))

  app.get('/stations/:id/supplies', {
    schema: {
      summary: 'Supply levels and forecast of a station',
      description: 'Each catalog item and each item its shelf sensor reports: level now, % of capacity, the last reading ' +
        '(sensor or hand count), units per visit learnt from history and the time until the reorder threshold and until empty, ' +
        'with a 90 % band. See docs/supplies.md.',
      tags: ['supplies'],
      params: StationParams,
      querystring: z.object({ horizon: Horizon }),
      response: { 200: StationSupplies, ...stationFigureErrors }
    }
  }, async (request) => {
    const id = request.params.id
    if (!await registry.getStation(id)) throw httpError(404, `station ${id} not found`)
    const t = now()
    await model.refreshStale([id], maxAgeMs, t)
    return { stationId: id, at: new Date(t).toISOString(), horizonHours: request.query.horizon, items: await named(await model.forecastStationItems([id], request.query.horizon, t)), deliveries: await registry.supplies.deliveries(id) }
  })

  app.get('/supplies', {
    schema: {
      summary: 'Supply levels and forecasts of every station in view',
      description: 'The stations the token may see (a district\'s with `district`), items sorted by time to empty, soonest first.',
      tags: ['supplies'],
      querystring: z.object({ horizon: Horizon, district: z.string().max(100).optional() }),
      response: { 200: z.object({ at: z.string(), horizonHours: z.int(), stations: z.int(), items: StationSupplies.shape.items }), ...errorResponses, 404: stationFigureErrors[404].describe('No station of that district in view'), 503: stationFigureErrors[503] }
    }
  }, async (request) => {
    const { district, horizon } = request.query
    const ids = visibleStations(request, await registry.listStations()).filter((s) => s.status !== 'retired' && (district === undefined || s.district === district)).map((s) => s.id)
    // A district the caller cannot see is answered like one that does not exist.
    if (district !== undefined && ids.length === 0) throw httpError(404, 'no station matches')
    const t = now()
    await model.refreshStale(ids, maxAgeMs, t)
    const items = (await named(await model.forecastStationItems(ids, horizon, t)))
      .sort((a, b) => (a.timeToEmptyHours ?? Infinity) - (b.timeToEmptyHours ?? Infinity) || a.stationId.localeCompare(b.stationId))
    return { at: new Date(t).toISOString(), horizonHours: horizon, stations: ids.length, items }
  })
}

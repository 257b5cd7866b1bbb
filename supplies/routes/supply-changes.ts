// Changes to supplies over the API, each audited (supplies/supply-admin.ts):
//   operator: POST /stations/:id/supplies/restocks, POST /stations/:id/supplies/counts,
//             POST /supplies/weather;
//   admin:    POST|DELETE /stations/:id/supplies/items/:item, POST /supplies/districts/:district/items/:item,
//             POST /stations/:id/supplies/deliveries, DELETE /stations/:id/supplies/deliveries/:deliveryId.
// Reading: GET /stations/:id/supplies/restocks?from=&to=, GET /stations/:id/supplies/catalog (viewer).
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { actorOf } from '../../api/auth/roles.ts'
import { ErrorBody, errorResponses, httpError } from '../../api/errors.ts'
import { DateRangeQuery, StationParams } from '../../api/params.ts'
import { SupplyItem } from '../../contract/index.ts'
import { addDays, localMidnightUtc } from '../../platform/local-day.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { CatalogItem, CatalogItemInput, Delivery, ManualCount, NewCount, NewDelivery, NewRestock, Restock, WeatherDay } from '../schemas.ts'
import type { SupplyAdmin } from '../supply-admin.ts'
import { stationFirst } from './station-first.ts'

export type SupplyChangesOptions = { registry: Registry, admin: SupplyAdmin }

const ItemParams = StationParams.extend({ item: SupplyItem })
const notFound = { 404: ErrorBody.describe('No such station (or item)') }
const tokenName = (actor: string) => actor.split(':').slice(2).join(':') || actor

export const supplyChangesRoute: FastifyPluginAsyncZod<SupplyChangesOptions> = async (app, { registry, admin }) => {
  const preValidation = stationFirst(registry)
  app.post('/stations/:id/supplies/restocks', {
    preValidation,
    config: { auth: 'operator' },
    schema: {
      summary: 'Record a restock',
      description: 'Source `purchase` or `donation` (with the donor company). A sensor jump within 2 h already recorded as an ' +
        'unlogged restock is superseded by this one: a restock is counted once.',
      tags: ['supplies'],
      params: StationParams,
      body: NewRestock.meta({ example: { item: 'bottled-water', quantity: 48, source: 'donation', donor: '农夫山泉合肥分公司', by: '王师傅' } }),
      response: { 201: Restock, ...errorResponses, ...notFound }
    }
  }, async (request, reply) => {
    const actor = actorOf(request)
    const restock = await admin.logRestock(actor, request.params.id, { ...request.body, by: request.body.by ?? tokenName(actor) })
    return reply.code(201).send(restock)
  })

  app.get('/stations/:id/supplies/restocks', {
    schema: {
      summary: 'Restocks of a station (logged and unlogged), local days from..to',
      tags: ['supplies'],
      params: StationParams,
      querystring: DateRangeQuery,
      response: { 200: z.object({ stationId: z.string(), restocks: z.array(Restock) }), ...errorResponses, ...notFound }
    }
  }, async (request) => {
    const id = request.params.id
    const station = await registry.getStation(id)
    if (!station) throw httpError(404, `station ${id} not found`)
    // The station's local days.
    const from = localMidnightUtc(request.query.from, station.timezone).toISOString()
    const to = localMidnightUtc(addDays(request.query.to, 1), station.timezone).toISOString()
    return { stationId: id, restocks: await registry.supplies.restocksBetween(id, from, to) }
  })

  app.post('/stations/:id/supplies/counts', {
    preValidation,
    config: { auth: 'operator' },
    schema: {
      summary: 'Record a hand count of the shelf',
      description: 'For stations without a shelf sensor: the count is the item\'s level until the next one.',
      tags: ['supplies'],
      params: StationParams,
      body: NewCount,
      response: { 201: ManualCount, ...errorResponses, ...notFound }
    }
  }, async (request, reply) => {
    const actor = actorOf(request)
    return reply.code(201).send(await admin.addCount(actor, request.params.id, { ...request.body, by: request.body.by ?? tokenName(actor) }))
  })

  app.post('/supplies/weather', {
    config: { auth: 'operator' },
    schema: {
      summary: 'Give daily weather for the forecast of weather-driven items',
      description: 'Per district (`""`: every station without its own). Replaces what was given for the same district and date.',
      tags: ['supplies'],
      body: z.array(WeatherDay).min(1).max(1000),
      response: { 200: z.array(WeatherDay), ...errorResponses }
    }
  }, async (request) => admin.setWeather(actorOf(request), request.body))

  app.get('/stations/:id/supplies/catalog', {
    schema: {
      summary: 'The catalog of a station: its items and scheduled deliveries',
      description: 'What the admin routes below set (the dashboard\'s catalog editor reads it).',
      tags: ['supplies'],
      params: StationParams,
      response: { 200: z.object({ stationId: z.string(), items: z.array(CatalogItem), deliveries: z.array(Delivery) }), ...errorResponses, ...notFound }
    }
  }, async (request) => {
    const id = request.params.id
    if (!await registry.getStation(id)) throw httpError(404, `station ${id} not found`)
    return { stationId: id, items: await registry.supplies.items(id), deliveries: await registry.supplies.deliveries(id) }
  })

  app.post('/stations/:id/supplies/items/:item', {
    preValidation,
    config: { auth: 'admin' },
    schema: {
      summary: 'Add or replace a catalog item of a station',
      tags: ['supplies'],
      params: ItemParams,
      body: CatalogItemInput.meta({ example: { nameZh: '瓶装水', nameEn: 'Bottled water', unit: 'bottle', capacity: 48, threshold: 12, weather: 'heat', priceCents: 150 } }),
      response: { 200: CatalogItem, ...errorResponses, ...notFound }
    }
  }, async (request) => admin.setItem(actorOf(request), request.params.id, request.params.item, request.body))

  app.delete('/stations/:id/supplies/items/:item', {
    preValidation,
    config: { auth: 'admin' },
    schema: { summary: 'Remove a catalog item', tags: ['supplies'], params: ItemParams, response: { 200: CatalogItem, ...errorResponses, ...notFound } }
  }, async (request) => admin.removeItem(actorOf(request), request.params.id, request.params.item))

  app.post('/supplies/districts/:district/items/:item', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Set a catalog item for every station of a district',
      tags: ['supplies'],
      params: z.object({ district: z.string().min(1).max(100), item: SupplyItem }),
      body: CatalogItemInput,
      response: { 200: z.array(CatalogItem), ...errorResponses, 404: ErrorBody.describe('No station in that district') }
    }
  }, async (request) => admin.setDistrictItem(actorOf(request), request.params.district, request.params.item, request.body))

  app.post('/stations/:id/supplies/deliveries', {
    preValidation,
    config: { auth: 'admin' },
    schema: {
      summary: 'Add a scheduled delivery',
      tags: ['supplies'],
      params: StationParams,
      body: NewDelivery.meta({ example: { item: 'bottled-water', quantity: 48, supplier: '合肥某饮用水公司', source: 'donation', days: [1, 2, 3, 4, 5, 6, 7], at: '15:00' } }),
      response: { 201: Delivery, ...errorResponses, ...notFound }
    }
  }, async (request, reply) => reply.code(201).send(await admin.addDelivery(actorOf(request), request.params.id, request.body)))

  app.delete('/stations/:id/supplies/deliveries/:deliveryId', {
    preValidation,
    config: { auth: 'admin' },
    schema: {
      summary: 'Remove a scheduled delivery',
      tags: ['supplies'],
      params: StationParams.extend({ deliveryId: z.coerce.number().int().min(1) }),
      response: { 200: Delivery, ...errorResponses, ...notFound }
    }
  }, async (request) => admin.removeDelivery(actorOf(request), request.params.id, request.params.deliveryId))
}

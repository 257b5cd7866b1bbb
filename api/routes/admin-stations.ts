// POST /stations and PATCH /stations/:id (admin): register a station and change it,
// including its status. Suspending or retiring a station also cuts its devices off the
// broker (registry/admin.ts records the change the broker watches).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Admin } from '../../registry/admin.ts'
import { NewStation, Station, StationPatch } from '../../registry/schemas.ts'
import { actorOf } from '../auth/roles.ts'
import { ErrorBody, errorResponses } from '../errors.ts'
import { StationParams } from '../params.ts'

export type AdminStationsRouteOptions = { admin: Admin }

const stationExample = {
  id: 'sz-futian-001',
  name: '福田区华强北爱心驿站',
  address: '深圳市福田区华强北路 1016 号',
  district: '福田区',
  lat: 22.5445,
  lon: 114.088,
  datum: 'wgs84',
  timezone: 'Asia/Shanghai',
  capacity: 16,
  areaM2: 35,
  openingHours: [{ days: [1, 2, 3, 4, 5], open: '06:00', close: '22:00' }, { days: [6, 7], open: '08:00', close: '20:00' }],
  amenities: ['ac', 'charger', 'microwave', 'water_dispenser']
}

export const adminStationsRoute: FastifyPluginAsyncZod<AdminStationsRouteOptions> = async (app, { admin }) => {
  app.post('/stations', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Register a station',
      description: 'Only `id` and `name` are required. New stations are `active`. `datum` says which datum `lat`/`lon` are in: ' +
        '`wgs84` (GPS; the default) or `gcj02` (a position taken from a map of mainland China such as AMap); the dashboard ' +
        'converts it for its tile layer.',
      tags: ['admin'],
      body: NewStation.meta({ example: stationExample }),
      response: {
        201: Station.meta({ example: { ...stationExample, status: 'active', createdAt: '2026-05-01T08:00:00.000Z', updatedAt: null } }),
        ...errorResponses,
        409: ErrorBody.describe('A station with this id exists')
      }
    }
  }, async (request, reply) => {
    const station = await admin.addStation(actorOf(request), request.body)
    return reply.code(201).send(station)
  })

  app.patch('/stations/:id', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Change a station',
      description: 'Fields left out are unchanged. `status`: `suspended` or `retired` disconnects the station\'s ' +
        'devices and refuses them until it is `active` again.',
      tags: ['admin'],
      params: StationParams,
      body: StationPatch.meta({ example: { capacity: 20, status: 'suspended' } }),
      response: { 200: Station, ...errorResponses, 404: ErrorBody.describe('No such station') }
    }
  }, async (request) => admin.updateStation(actorOf(request), request.params.id, request.body))
}

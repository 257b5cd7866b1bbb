// Device credentials (admin): list a station's devices, issue one, rotate its secret,
// revoke it. A secret is in the answer that creates it and nowhere else, ever: the registry
// keeps a scrypt hash and the audit log records the device without it. Rotating or revoking
// disconnects the device from the broker within about a second.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { DeviceId } from '../../contract/index.ts'
import type { Admin } from '../../registry/admin.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { Device, DeviceKind } from '../../registry/schemas.ts'
import { actorOf } from '../auth/roles.ts'
import { ErrorBody, errorResponses, httpError } from '../errors.ts'
import { StationParams } from '../params.ts'

export type AdminDevicesRouteOptions = { admin: Admin, registry: Registry }

const DeviceParams = z.object({ id: DeviceId.describe('Device id (lower-case slug)') })

const deviceExample = { id: 'sz-futian-001-door', stationId: 'sz-futian-001', kind: 'door', createdAt: '2026-05-01T08:00:00.000Z', rotatedAt: null, revokedAt: null }
const SECRET_EXAMPLE = 'Yp3cS0m8vQ2kZ8tL1nH4rW6xE9aB7dF5gJ0uK2iO3sM'

const WithSecret = z.object({
  device: Device,
  secret: z.string().describe('MQTT password of the device. Shown once: it is stored only as a hash.')
}).meta({ example: { device: deviceExample, secret: SECRET_EXAMPLE } })

const NewDevice = z.strictObject({
  id: DeviceId,
  kind: DeviceKind.describe('What the device may publish: door (door events), sensors (climate), shelf (supplies), hub (everything of its station)')
}).meta({ example: { id: 'sz-futian-001-door', kind: 'door' } })

const notFound = ErrorBody.describe('No such device')
const conflict = ErrorBody.describe('The device is revoked')

export const adminDevicesRoute: FastifyPluginAsyncZod<AdminDevicesRouteOptions> = async (app, { admin, registry }) => {
  app.get('/stations/:id/devices', {
    config: { auth: 'admin' },
    schema: {
      summary: 'List the devices of a station',
      tags: ['admin'],
      params: StationParams,
      response: { 200: z.object({ devices: z.array(Device) }).meta({ example: { devices: [deviceExample] } }), ...errorResponses, 404: ErrorBody.describe('No such station') }
    }
  }, async (request) => {
    const { id } = request.params
    if (!await registry.getStation(id)) throw httpError(404, `station ${id} not found`)
    return { devices: await registry.listDevices(id) }
  })

  app.post('/stations/:id/devices', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Issue a device credential',
      description: 'Returns the device\'s MQTT secret once. Device ids are unique across all stations.',
      tags: ['admin'],
      params: StationParams,
      body: NewDevice,
      response: { 201: WithSecret, ...errorResponses, 404: ErrorBody.describe('No such station'), 409: ErrorBody.describe('A device with this id exists') }
    }
  }, async (request, reply) => {
    const { device, secret } = await admin.addDevice(actorOf(request), request.params.id, request.body.id, request.body.kind)
    return reply.code(201).send({ device, secret })
  })

  app.post('/devices/:id/rotate', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Rotate a device secret',
      description: 'Issues a new secret (returned once); the old one stops working at once and the device\'s live connection is dropped.',
      tags: ['admin'],
      params: DeviceParams,
      response: { 200: WithSecret, ...errorResponses, 404: notFound, 409: conflict }
    }
  }, async (request) => admin.rotateDevice(actorOf(request), request.params.id))

  app.post('/devices/:id/revoke', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Revoke a device',
      description: 'The device can no longer connect and its live connection is dropped. Irreversible: issue a new device instead.',
      tags: ['admin'],
      params: DeviceParams,
      response: { 200: Device.meta({ example: { ...deviceExample, revokedAt: '2026-05-02T09:00:00.000Z' } }), ...errorResponses, 404: notFound, 409: ErrorBody.describe('Already revoked') }
    }
  }, async (request) => admin.revokeDevice(actorOf(request), request.params.id))
}

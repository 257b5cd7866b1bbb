// GET /stations/:id/presence: is the station online, and when was each device last heard from.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import { ErrorBody, errorResponses, httpError } from '../errors.ts'
import { StationParams } from '../params.ts'

const DevicePresence = z.object({
  deviceId: z.string(),
  connected: z.boolean(),
  lastSeenAt: z.string(),
  connectedAt: z.string().nullable(),
  disconnectedAt: z.string().nullable(),
  disconnectReason: z.string().nullable()
})

export const StationPresence = z.object({
  stationId: z.string(),
  state: z.enum(['online', 'offline', 'never_seen']).describe('online: a device is connected and was heard from within offlineAfterSeconds'),
  lastSeenAt: z.string().nullable(),
  offlineAfterSeconds: z.int(),
  devices: z.array(DevicePresence)
}).meta({
  example: {
    stationId: 'sz-futian-001',
    state: 'online',
    lastSeenAt: '2026-11-22T06:40:12.345Z',
    offlineAfterSeconds: 300,
    devices: [{ deviceId: 'sz-futian-001-door', connected: true, lastSeenAt: '2026-11-22T06:40:12.345Z', connectedAt: '2026-11-22T01:02:03.000Z', disconnectedAt: null, disconnectReason: null }]
  }
})

export type PresenceRouteOptions = { registry: Registry, offlineAfterSeconds: number }

export const presenceRoute: FastifyPluginAsyncZod<PresenceRouteOptions> = async (app, { registry, offlineAfterSeconds }) => {
  app.get('/stations/:id/presence', {
    schema: {
      summary: 'Station online/offline state and device last-seen times',
      tags: ['stations'],
      params: StationParams,
      response: { 200: StationPresence, ...errorResponses, 404: ErrorBody.describe('No such station') }
    }
  }, async (request) => {
    const id = request.params.id
    if (!await registry.getStation(id)) throw httpError(404, `station ${id} not found`)
    const devices = await registry.presence.ofStation(id)
    const lastSeenAt = devices.reduce<string | null>((max, d) => (max === null || d.lastSeenAt > max ? d.lastSeenAt : max), null)
    // A broker that died without writing disconnects leaves "connected" rows behind; the
    // silence threshold turns those stations offline anyway.
    const freshSince = new Date(Date.now() - offlineAfterSeconds * 1000).toISOString()
    const online = devices.some((d) => d.connected && d.lastSeenAt >= freshSince)
    return {
      stationId: id,
      state: lastSeenAt === null ? 'never_seen' as const : online ? 'online' as const : 'offline' as const,
      lastSeenAt,
      offlineAfterSeconds,
      devices
    }
  })
}

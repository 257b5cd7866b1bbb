// Service clients (admin): MQTT credentials for dashboards, alerting and operator consoles that
// follow many stations. List, issue (the secret is in that answer only), change scope or
// permission, rotate, revoke: through registry/admin.ts like the CLI, audited. Every change but
// a rename drops the service's live connections within about a second.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ServiceId } from '../../contract/index.ts'
import type { Admin } from '../../registry/admin.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { NewService, Service, ServicePatch } from '../../registry/schemas.ts'
import { actorOf } from '../auth/roles.ts'
import { ErrorBody, errorResponses } from '../errors.ts'

export type AdminServicesRouteOptions = { admin: Admin, registry: Registry }

const ServiceParams = z.object({ id: ServiceId.describe('Service id (lower-case slug)') })

const serviceExample = {
  id: 'futian-wall-screen', name: 'Futian district wall screen', scope: { kind: 'district', district: '福田区' }, permission: 'subscribe',
  status: 'active', createdAt: '2026-05-01T08:00:00.000Z', updatedAt: null, rotatedAt: null, revokedAt: null
}
const SECRET_EXAMPLE = 'Yp3cS0m8vQ2kZ8tL1nH4rW6xE9aB7dF5gJ0uK2iO3sM'

const WithSecret = z.object({
  service: Service,
  secret: z.string().describe('MQTT password of the service (username and client id: its id). Shown once: it is stored only as a hash.')
}).meta({ example: { service: serviceExample, secret: SECRET_EXAMPLE } })

const SCOPE_HELP = 'scope: {"kind":"all"}, {"kind":"district","district":"…"} or {"kind":"stations","stations":["…"]}; ' +
  'permission: subscribe (live data, read-only) or subscribe+commands (also stations/{id}/commands/… of the stations in scope)'

const notFound = ErrorBody.describe('No such service')
const revoked = ErrorBody.describe('The service is revoked')

export const adminServicesRoute: FastifyPluginAsyncZod<AdminServicesRouteOptions> = async (app, { admin, registry }) => {
  app.get('/services', {
    config: { auth: 'admin' },
    schema: {
      summary: 'List service clients',
      description: 'Every service ever issued, revoked ones included; never a secret.',
      tags: ['admin'],
      response: { 200: z.object({ services: z.array(Service) }).meta({ example: { services: [serviceExample] } }), 500: errorResponses[500] }
    }
  }, async () => ({ services: await registry.services.list() }))

  app.post('/services', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Issue a service credential',
      description: `Returns the service's MQTT secret once. Service ids must differ from every device id. ${SCOPE_HELP}. ` +
        'A wildcard at the station level (stations/+/door, stations/#) needs scope all.',
      tags: ['admin'],
      body: NewService.meta({ example: { id: 'futian-wall-screen', name: 'Futian district wall screen', scope: { kind: 'district', district: '福田区' }, permission: 'subscribe' } }),
      response: { 201: WithSecret, ...errorResponses, 409: ErrorBody.describe('The id is taken by a service or a device') }
    }
  }, async (request, reply) => reply.code(201).send(await admin.addService(actorOf(request), request.body)))

  app.patch('/services/:id', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Change a service\'s name, scope or permission',
      description: `${SCOPE_HELP}. A change of scope or permission drops the service's live connections; it reconnects with the new one.`,
      tags: ['admin'],
      params: ServiceParams,
      body: ServicePatch.meta({ example: { scope: { kind: 'stations', stations: ['sz-futian-001', 'sz-futian-002'] } } }),
      response: { 200: Service.meta({ example: serviceExample }), ...errorResponses, 404: notFound, 409: revoked }
    }
  }, async (request) => admin.updateService(actorOf(request), request.params.id, request.body))

  app.post('/services/:id/rotate', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Rotate a service secret',
      description: 'Issues a new secret (returned once); the old one stops working at once and the service\'s live connections are dropped.',
      tags: ['admin'],
      params: ServiceParams,
      response: { 200: WithSecret, ...errorResponses, 404: notFound, 409: revoked }
    }
  }, async (request) => admin.rotateService(actorOf(request), request.params.id))

  app.post('/services/:id/revoke', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Revoke a service',
      description: 'The service can no longer connect and its live connections are dropped. Irreversible: issue a new service instead.',
      tags: ['admin'],
      params: ServiceParams,
      response: { 200: Service.meta({ example: { ...serviceExample, status: 'revoked', revokedAt: '2026-05-02T09:00:00.000Z' } }), ...errorResponses, 404: notFound, 409: ErrorBody.describe('Already revoked') }
    }
  }, async (request) => admin.revokeService(actorOf(request), request.params.id))
}

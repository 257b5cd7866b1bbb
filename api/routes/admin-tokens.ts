// API tokens (admin): list, create (the secret is returned once), revoke. A token may revoke
// itself: whoever finds a token leaked should be able to kill it at once with the token in
// hand. That can leave no admin token; the server's CLI (`waystation tokens create`) is
// the way back in, as it is for the very first one.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Admin } from '../../registry/admin.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { ApiToken, Role, StationScope } from '../../registry/schemas.ts'
import { actorOf } from '../auth/roles.ts'
import { ErrorBody, errorResponses } from '../errors.ts'

export type AdminTokensRouteOptions = { admin: Admin, registry: Registry }

// The id part of `wst_<id>_<secret>`.
const TokenParams = z.object({ id: z.string().regex(/^[a-z0-9]{12}$/, 'token id: 12 characters of a-z and 0-9').describe('Token id') })

const tokenExample = {
  id: 'k3x9m2p7q4ab', name: 'district dashboard', role: 'viewer', scope: { kind: 'district', district: '福田区' }, createdAt: '2026-05-01T08:00:00.000Z',
  createdBy: 'token:a1b2c3d4e5f6:ops', expiresAt: '2027-05-01T00:00:00.000Z', lastUsedAt: null, revokedAt: null
}

const NewToken = z.strictObject({
  name: z.string().trim().min(1).max(100).describe('Who or what uses the token; shown in the audit log'),
  role: Role.describe('viewer: read figures; operator: viewer + operational writes; admin: everything'),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional().describe('ISO date-time in the future; absent or null: never expires'),
  scope: StationScope.optional().describe('Which stations the token sees: {"kind":"all"} (the default), {"kind":"district","district":…} or ' +
    '{"kind":"stations","stations":[…]}. Other stations answer 404 and fleet figures cover the scope only. An admin token is always scoped to all.')
}).meta({ example: { name: 'district dashboard', role: 'viewer', expiresAt: '2027-05-01T00:00:00Z', scope: { kind: 'district', district: '福田区' } } })

const Created = z.object({
  token: ApiToken,
  secret: z.string().describe('The bearer token. Shown once: it is stored only as a hash.')
}).meta({ example: { token: tokenExample, secret: 'wst_k3x9m2p7q4ab_Yp3cS0m8vQ2kZ8tL1nH4rW6xE9aB7dF5gJ0uK2iO3sM' } })

export const adminTokensRoute: FastifyPluginAsyncZod<AdminTokensRouteOptions> = async (app, { admin, registry }) => {
  app.get('/tokens', {
    config: { auth: 'admin' },
    schema: {
      summary: 'List API tokens',
      description: 'Every token ever issued, revoked and expired ones included; never a secret.',
      tags: ['admin'],
      response: { 200: z.object({ tokens: z.array(ApiToken) }).meta({ example: { tokens: [tokenExample] } }), 500: errorResponses[500] }
    }
  }, async () => ({ tokens: await registry.tokens.list() }))

  app.post('/tokens', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Create an API token',
      description: 'With a station scope for people who should see only some stations (a community, a district). The creation is audited.',
      tags: ['admin'],
      body: NewToken,
      response: { 201: Created, ...errorResponses }
    }
  }, async (request, reply) => {
    const { name, role, expiresAt, scope } = request.body
    const created = await admin.createToken(actorOf(request), { name, role, expiresAt: expiresAt ?? null, ...(scope ? { scope } : {}) })
    return reply.code(201).send(created)
  })

  app.post('/tokens/:id/revoke', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Revoke an API token',
      description: 'Takes effect on the next request. A token may revoke itself.',
      tags: ['admin'],
      params: TokenParams,
      response: {
        200: ApiToken.meta({ example: { ...tokenExample, revokedAt: '2026-05-02T09:00:00.000Z' } }),
        ...errorResponses,
        404: ErrorBody.describe('No such token'),
        409: ErrorBody.describe('Already revoked')
      }
    }
  }, async (request) => admin.revokeToken(actorOf(request), request.params.id))
}

// Bearer-token authentication, rate limiting and role checks for every route, in one
// onRequest hook so their order is fixed:
//   1. identify: a valid token in `Authorization: Bearer …` becomes `request.apiToken`;
//   2. rate limit: per verified token, else per client address. It runs before the verdict
//      so that failed attempts are counted too, and keys only on *verified* tokens: a key
//      taken from an unverified header would give each guessed token a fresh allowance.
//      Public routes (/health, /docs, a public /metrics) are not limited: a load balancer's
//      health check or a scraper behind the same address as a guessing client must never
//      get 429 (and be taken for an outage), and none of them reads data or checks a token;
//   3. verdict from the route's `config.auth`: 401 (no usable token) or 403 (role too low).
// Wrapped with fastify-plugin so the hooks apply to every route of the app, including
// those registered by plugins added after this one.
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { ApiToken } from '../../registry/schemas.ts'
import { httpError } from '../errors.ts'
import { documentAuth } from './openapi-security.ts'
import { allows, levelOf } from './roles.ts'

export type BearerAuthOptions = {
  /** The registry's token store (only `verify` is needed). */
  tokens: { verify (bearer: string): ApiToken | null }
  /** Requests per window and key; the key is the token, or the client address without one. */
  rateLimit: { max: number, timeWindowMs: number }
}

const REALM = 'Bearer realm="waystation"'
// Long enough for any token the registry issues (~65 chars), short enough to refuse a
// megabyte header before it is hashed.
const MAX_BEARER_LENGTH = 200

type Identity = { token: ApiToken } | { token: null, reason: string, header: string }

function identify (authorization: string | undefined, verify: BearerAuthOptions['tokens']['verify']): Identity {
  if (authorization === undefined) return { token: null, reason: 'authentication required: send Authorization: Bearer <token>', header: REALM }
  // RFC 6750 §2.1: the scheme is case-insensitive, one space, then the token.
  const m = /^bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization)
  if (!m || m[1]!.length > MAX_BEARER_LENGTH) {
    return { token: null, reason: 'malformed Authorization header: expected "Bearer <token>"', header: `${REALM}, error="invalid_request"` }
  }
  const token = verify(m[1]!)
  // One answer for unknown, expired and revoked: a caller who is not the token's holder
  // learns nothing about which tokens exist.
  if (!token) return { token: null, reason: 'invalid, expired or revoked token', header: `${REALM}, error="invalid_token"` }
  return { token }
}

const bearerAuthPlugin: FastifyPluginAsync<BearerAuthOptions> = async (app, opts) => {
  app.decorateRequest('apiToken', null)

  // Resolve (and check) each route's level when it is registered: an unknown level fails
  // start-up instead of a request, and the OpenAPI document shows what is enforced.
  app.addHook('onRoute', (route) => {
    const level = levelOf(route.config)
    route.config = { ...route.config, auth: level }
    documentAuth(route, level)
  })

  // The plugin only provides the limiter; it is called from the hook below, in order.
  await app.register(rateLimit, { global: false })
  const limit = app.rateLimit({
    max: opts.rateLimit.max,
    timeWindow: opts.rateLimit.timeWindowMs,
    keyGenerator: (request: FastifyRequest) => (request.apiToken ? `token:${request.apiToken.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => httpError(429, `rate limit exceeded: at most ${context.max} requests per ${context.after}; retry later`)
  })

  app.addHook('onRequest', async (request, reply) => {
    // Unknown URLs get their 404 whoever asks: the route list is public (/docs) anyway.
    const level = request.is404 ? 'public' : levelOf(request.routeOptions.config)
    const identity = identify(request.headers.authorization, opts.tokens.verify)
    if (identity.token) request.apiToken = identity.token
    // Unknown URLs stay limited: they are what scanners send.
    if (level === 'public' && !request.is404) return
    await limit.call(app, request, reply)
    if (level === 'public') return
    if (!identity.token) {
      reply.header('www-authenticate', identity.header)
      throw httpError(401, identity.reason)
    }
    if (!allows(identity.token.role, level)) {
      reply.header('www-authenticate', `${REALM}, error="insufficient_scope"`)
      throw httpError(403, `this route requires the ${level} role; the token has ${identity.token.role}`)
    }
  })
}

export const bearerAuth = fp(bearerAuthPlugin, { fastify: '5.x', name: 'waystation-bearer-auth' })

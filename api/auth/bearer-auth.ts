// Authentication (bearer token or dashboard session), rate limiting, role, scope and CSRF
// checks for every route, in one onRequest hook so their order is fixed:
//   1. identify: a valid token in `Authorization: Bearer …`, or without that header a valid
//      session cookie, becomes `request.apiToken` (identify.ts);
//   2. rate limit: per verified token, else per client address. It runs before the verdict
//      so that failed attempts are counted too, and keys only on *verified* tokens: a key
//      taken from an unverified header would give each guessed token a fresh allowance.
//      Public routes (/health, /docs, a public /metrics, /session, the web app) are not
//      limited: a load balancer's health check or a scraper behind the same address as a
//      guessing client must never get 429 (and be taken for an outage);
//   3. CSRF: a write authenticated by the session cookie must echo the session's csrf token
//      in `x-csrf-token` (bearer requests need none: a browser never adds that header itself);
//   4. verdict from the route's `config.auth`: 401 (no usable token) or 403 (role too low,
//      or a route about the whole fleet called with a token scoped to some stations).
// Wrapped with fastify-plugin so the hooks apply to every route of the app, including
// those registered by plugins added after this one.
import { createHash, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Session } from '../../registry/session-store.ts'
import { httpError } from '../errors.ts'
import { identify, REALM, type IdentifyDeps } from './identify.ts'
import { documentAuth } from './openapi-security.ts'
import { allows, levelOf } from './roles.ts'
import { CSRF_HEADER, sessionCookie, sessionIdOf, type SessionReason } from './session-cookie.ts'

export type BearerAuthOptions = IdentifyDeps & {
  /** Requests per window and key; the key is the token, or the client address without one. */
  rateLimit: { max: number, timeWindowMs: number }
  /** Counters in this Redis (CLUSTER=redis), shared by every API node; omitted: in this process. */
  rateLimitRedis?: Redis | undefined
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route shows or changes the whole fleet: it needs a token scoped to all stations. */
    allStations?: boolean
    /** The route ignores the session cookie (sign-in: the token in the body is what counts). */
    ignoreSessionCookie?: boolean
  }
  interface FastifyRequest {
    /** The dashboard session the request was authenticated with; null for bearer or none. */
    apiSession: Session | null
    /** Why a session cookie sent with the request was refused; null when none was, or it was fine. */
    sessionRefusal: { reason: SessionReason, message: string } | null
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const sha = (s: string) => createHash('sha256').update(s).digest()

// Compares digests, so the comparison takes the same time whatever the header's length.
function csrfMatches (sent: unknown, expected: string): boolean {
  return typeof sent === 'string' && expected !== '' && timingSafeEqual(sha(sent), sha(expected))
}

const scopeText = (scope: { kind: string, district?: string }) => scope.kind === 'district' ? `district ${scope.district}` : 'a list of stations'

const bearerAuthPlugin: FastifyPluginAsync<BearerAuthOptions> = async (app, opts) => {
  app.decorateRequest('apiToken', null)
  app.decorateRequest('apiSession', null)
  app.decorateRequest('sessionRefusal', null)

  // Resolve (and check) each route's level when it is registered: an unknown level fails
  // start-up instead of a request, and the OpenAPI document shows what is enforced.
  app.addHook('onRoute', (route) => {
    const level = levelOf(route.config)
    route.config = { ...route.config, auth: level }
    documentAuth(route, level)
  })

  // The plugin only provides the limiter; it is called from the hook below, in order.
  // Every limiter made from it (the sign-in one too) shares its store. Several API nodes count in
  // one Redis, so a client cannot multiply its allowance by the number of nodes; if Redis is
  // unreachable requests are let through (and the store's error logged) rather than failed.
  await app.register(rateLimit, opts.rateLimitRedis
    ? { global: false, redis: opts.rateLimitRedis, nameSpace: 'waystation:ratelimit:', skipOnError: true }
    : { global: false })
  const limit = app.rateLimit({
    max: opts.rateLimit.max,
    timeWindow: opts.rateLimit.timeWindowMs,
    keyGenerator: (request: FastifyRequest) => (request.apiToken ? `token:${request.apiToken.id}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) => httpError(429, `rate limit exceeded: at most ${context.max} requests per ${context.after}; retry later`)
  })

  app.addHook('onRequest', async (request, reply) => {
    // Unknown URLs get their 404 whoever asks: the route list is public (/docs) anyway.
    const config = request.is404 ? undefined : request.routeOptions.config
    const level = request.is404 ? 'public' : levelOf(config)
    const identity = await identify(request, opts, { ignoreCookie: config?.ignoreSessionCookie === true })
    if (identity.token) request.apiToken = identity.token
    if (identity.token === null && identity.sessionReason) request.sessionRefusal = { reason: identity.sessionReason, message: identity.reason }
    // Unknown URLs stay limited: they are what scanners send.
    if (level !== 'public' || request.is404) await limit.call(app, request, reply)
    if (identity.token && identity.via === 'session') {
      if (WRITES.has(request.method) && !csrfMatches(request.headers[CSRF_HEADER], identity.session.csrfToken)) {
        throw httpError(403, `a write with a session cookie needs the ${CSRF_HEADER} header from POST /session (or GET /session)`)
      }
      request.apiSession = identity.session
      // The session slid (at most once a minute): renew the cookie's lifetime to match.
      if (identity.renewed) reply.header('set-cookie', sessionCookie(request, sessionIdOf(request)!, identity.session.expiresAt))
    }
    if (level === 'public') return
    if (!identity.token) {
      reply.header('www-authenticate', identity.header)
      throw httpError(401, identity.reason, identity.sessionReason)
    }
    if (!allows(identity.token.role, level)) {
      reply.header('www-authenticate', `${REALM}, error="insufficient_scope"`)
      throw httpError(403, `this route requires the ${level} role; the token has ${identity.token.role}`)
    }
    // Admin routes manage the whole fleet; a scoped token is never an admin (the registry
    // refuses to make one), and this holds even for a row edited by hand.
    if ((level === 'admin' || config?.allStations === true) && identity.token.scope.kind !== 'all') {
      reply.header('www-authenticate', `${REALM}, error="insufficient_scope"`)
      throw httpError(403, `this route covers the whole fleet and needs a token scoped to all stations; this token is scoped to ${scopeText(identity.token.scope)}`)
    }
  })
}

export const bearerAuth = fp(bearerAuthPlugin, { fastify: '5.x', name: 'waystation-bearer-auth' })

// The dashboard's sign-in: POST /session exchanges an API token for a browser session (an
// HttpOnly, SameSite=Strict cookie and a csrf token for writes), GET /session says whether it
// still holds and who it is, DELETE /session signs out. The token itself is never stored in
// the browser, never in a URL, never logged. Design: docs/security.md.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from '../../registry/open-registry.ts'
import { Role, StationScope, type ApiToken } from '../../registry/schemas.ts'
import type { Session } from '../../registry/session-store.ts'
import { AuthErrorBody, clearedSessionCookie, CSRF_HEADER, SESSION_COOKIE, SESSION_MESSAGES, sessionCookie } from '../auth/session-cookie.ts'
import { ErrorBody, errorResponses, httpError } from '../errors.ts'

export type SessionRouteOptions = {
  registry: Registry
  /** A session ends after this long without a request (and at its token's expiry). */
  ttlMs: number
  /** Sign-in attempts per window and client address. */
  signInLimit: { max: number, timeWindowMs: number }
}

const SignIn = z.strictObject({
  token: z.string().min(1).max(200).describe('An API token, `wst_…`')
}).meta({ example: { token: 'wst_k3x9m2p7q4ab_Yp3cS0m8vQ2kZ8tL1nH4rW6xE9aB7dF5gJ0uK2iO3sM' } })

export const SessionBody = z.object({
  name: z.string().describe('The token\'s name'),
  role: Role,
  scope: StationScope.describe('Which stations the session sees'),
  expiresAt: z.string().describe('When the session ends unless used: it slides with use, up to the token\'s own expiry'),
  csrfToken: z.string().describe(`Send it in \`${CSRF_HEADER}\` with every write (POST, PUT, PATCH, DELETE) made with the session cookie`)
}).meta({
  example: {
    name: 'district dashboard', role: 'viewer', scope: { kind: 'district', district: '福田区' },
    expiresAt: '2026-05-01T20:00:00.000Z', csrfToken: 'b1Zq6kX0pW3nR8sT2vY5uA7cD9eF4gH1jK3lM6oP8qS'
  }
})

const refusal = (description: string) => AuthErrorBody.describe(description)

const bodyOf = (token: ApiToken, session: Session) => ({
  name: token.name, role: token.role, scope: token.scope, expiresAt: session.expiresAt, csrfToken: session.csrfToken
})

export const sessionRoute: FastifyPluginAsyncZod<SessionRouteOptions> = async (app, { registry, ttlMs, signInLimit }) => {
  // Per address, on top of the general limit: sign-in is the one place to guess tokens at.
  const signInAttempt = app.createRateLimit({
    max: signInLimit.max,
    timeWindow: signInLimit.timeWindowMs,
    keyGenerator: (request) => `sign-in:${request.ip}`
  })

  app.post('/session', {
    // Public (this is how one gets in) and blind to any cookie already there: the token in
    // the body decides. A cross-site form cannot post JSON, so no one signs a victim in.
    config: { auth: 'public', ignoreSessionCookie: true },
    schema: {
      summary: 'Sign in: exchange an API token for a browser session',
      description: `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) and returns the token's name, role and scope ` +
        'with a csrf token for writes. The session acts as the token until it expires, is signed out, or the token is revoked or expires. ' +
        'Limited per client address.',
      tags: ['session'],
      body: SignIn,
      response: { 200: SessionBody, ...errorResponses, 401: ErrorBody.describe('Invalid, expired or revoked token') }
    }
  }, async (request, reply) => {
    const attempt = await signInAttempt(request)
    if (!attempt.isAllowed && attempt.isExceeded) {
      reply.header('retry-after', String(attempt.ttlInSeconds))
      throw httpError(429, `too many sign-in attempts from this address: at most ${signInLimit.max} per ${Math.round(signInLimit.timeWindowMs / 1000)} s; retry later`)
    }
    const token = await registry.tokens.verify(request.body.token)
    if (!token) throw httpError(401, 'invalid, expired or revoked token')
    const { id, session } = await registry.sessions.open({ tokenId: token.id, ttlMs, tokenExpiresAt: token.expiresAt })
    request.log.info({ tokenId: token.id }, 'session opened')
    reply.header('set-cookie', sessionCookie(request, id, session.expiresAt))
    reply.header('cache-control', 'no-store')
    return bodyOf(token, session)
  })

  app.get('/session', {
    config: { auth: 'public' },
    schema: {
      summary: 'The current browser session',
      description: 'Who the session cookie signs in as, with the same csrf token as at sign-in. 401 with a `reason` (no_session, ' +
        'session_expired, token_revoked, signed_out) and a message for people when there is no usable session.',
      tags: ['session'],
      response: { 200: SessionBody, 401: refusal('No usable session: `reason` says why'), 500: errorResponses[500] }
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    if (!request.apiToken || !request.apiSession) {
      const { reason, message } = request.sessionRefusal ?? { reason: 'no_session' as const, message: SESSION_MESSAGES.no_session }
      throw httpError(401, message, reason)
    }
    return bodyOf(request.apiToken, request.apiSession)
  })

  app.delete('/session', {
    config: { auth: 'public' },
    schema: {
      summary: 'Sign out',
      description: `Ends the session and clears its cookie. With a valid session it needs the \`${CSRF_HEADER}\` header like any write; ` +
        'without one it only clears the cookie.',
      tags: ['session'],
      response: { 204: z.null().describe('Signed out'), 403: ErrorBody.describe(`Missing or wrong ${CSRF_HEADER}`), 500: errorResponses[500] }
    }
  }, async (request, reply) => {
    if (request.apiSession) {
      await registry.sessions.end(request.apiSession.idHash, 'signed_out')
      request.log.info({ tokenId: request.apiSession.tokenId }, 'session closed')
    }
    reply.header('set-cookie', clearedSessionCookie(request))
    return reply.code(204).send(null)
  })
}

// The dashboard's session cookie and the answers about it. The cookie holds 256 random bits
// and nothing else; it is HttpOnly (no script, hence no XSS, can read it), SameSite=Strict
// (no other site's page can make the browser send it) and Secure over HTTPS. Why a cookie
// rather than a token in sessionStorage: docs/security.md.
import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import { ErrorBody } from '../errors.ts'

export const SESSION_COOKIE = 'wst_session'
export const CSRF_HEADER = 'x-csrf-token'

/** Why a request has no usable session, for programs (`reason`) and people (`message`). */
export const SESSION_REASONS = ['no_session', 'session_expired', 'token_revoked', 'signed_out'] as const
export type SessionReason = typeof SESSION_REASONS[number]

export const SESSION_MESSAGES: Record<SessionReason, string> = {
  no_session: 'no session: sign in with an API token',
  session_expired: 'session expired: sign in again',
  token_revoked: 'token revoked: the API token this session was opened with no longer works; ask an administrator for a new one',
  signed_out: 'signed out: sign in again'
}

export const TOKEN_EXPIRED_MESSAGE = 'session expired: the API token it was opened with has expired; ask an administrator for a new one'

/** The 401 of a request whose session cookie is no good: the error body plus `reason`. */
export const AuthErrorBody = ErrorBody.extend({
  reason: z.enum(SESSION_REASONS).optional().describe('Set when a session cookie was refused: no_session, session_expired, token_revoked, signed_out')
}).meta({ description: 'Error' })

/** The session id from the request's Cookie header, if there is one. */
export function sessionIdOf (request: FastifyRequest): string | undefined {
  const header = request.headers.cookie
  if (typeof header !== 'string') return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** Set-Cookie for a session id valid until `expiresAt` (Secure when the request came over HTTPS). */
export function sessionCookie (request: FastifyRequest, id: string, expiresAt: string): string {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000))
  return cookie(request, `${SESSION_COOKIE}=${id}`, maxAge)
}

/** Set-Cookie that makes the browser forget the session cookie. */
export function clearedSessionCookie (request: FastifyRequest): string {
  return cookie(request, `${SESSION_COOKIE}=`, 0)
}

function cookie (request: FastifyRequest, pair: string, maxAge: number): string {
  // request.protocol honours X-Forwarded-Proto only from a trusted proxy (API_TRUST_PROXY).
  const secure = request.protocol === 'https' ? '; Secure' : ''
  return `${pair}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${secure}`
}

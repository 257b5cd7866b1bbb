// Who is calling: a bearer token (programs), or a session cookie (the dashboard in a browser).
// A request with an Authorization header is judged by it alone; the cookie is looked at only
// without one, so a program's request never depends on what a browser happens to carry.
import type { ApiToken } from '../../registry/schemas.ts'
import type { Session, SessionLookup } from '../../registry/session-store.ts'
import { sessionIdOf, SESSION_MESSAGES, TOKEN_EXPIRED_MESSAGE, type SessionReason } from './session-cookie.ts'
import type { FastifyRequest } from 'fastify'

export const REALM = 'Bearer realm="waystation"'
// Long enough for any token the registry issues (~65 chars), short enough to refuse a
// megabyte header before it is hashed.
const MAX_BEARER_LENGTH = 200

export type IdentifyDeps = {
  tokens: {
    verify (bearer: string): Promise<ApiToken | null>
    check (id: string): Promise<ApiToken | 'revoked' | 'expired' | 'unknown'>
    get (id: string): Promise<ApiToken | null>
  }
  sessions: {
    lookup (id: string): Promise<SessionLookup>
    touch (session: Session, ttlMs: number, tokenExpiresAt: string | null): Promise<{ session: Session, renewed: boolean }>
    end (idHash: string, reason: 'token_revoked'): Promise<void>
  }
  sessionTtlMs: number
}

export type Identity =
  | { token: ApiToken, via: 'bearer' }
  | { token: ApiToken, via: 'session', session: Session, renewed: boolean }
  | { token: null, reason: string, header: string, sessionReason?: SessionReason }

async function fromBearer (authorization: string, verify: IdentifyDeps['tokens']['verify']): Promise<Identity> {
  // RFC 6750 §2.1: the scheme is case-insensitive, one space, then the token.
  const m = /^bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization)
  if (!m || m[1]!.length > MAX_BEARER_LENGTH) {
    return { token: null, reason: 'malformed Authorization header: expected "Bearer <token>"', header: `${REALM}, error="invalid_request"` }
  }
  const token = await verify(m[1]!)
  // One answer for unknown, expired and revoked: a caller who is not the token's holder
  // learns nothing about which tokens exist.
  if (!token) return { token: null, reason: 'invalid, expired or revoked token', header: `${REALM}, error="invalid_token"` }
  return { token, via: 'bearer' }
}

const refused = (reason: SessionReason, message = SESSION_MESSAGES[reason]): Identity => ({ token: null, reason: message, header: REALM, sessionReason: reason })
// A session never outlives its token; when the token is what ran out, signing in again with
// it would not help, and the message says so.
const tokenExpired = (token: ApiToken | null) => token?.expiresAt != null && Date.parse(token.expiresAt) <= Date.now()

// A session names its reason: only its holder has the cookie, so saying "revoked" or
// "signed out" tells nobody else anything, and tells the person what to do.
async function fromSession (id: string, deps: IdentifyDeps): Promise<Identity> {
  const found = await deps.sessions.lookup(id)
  switch (found.state) {
    case 'unknown': return refused('no_session')
    case 'expired': return refused('session_expired', tokenExpired(await deps.tokens.get(found.tokenId)) ? TOKEN_EXPIRED_MESSAGE : undefined)
    case 'signed_out': case 'token_revoked': return refused(found.state)
    case 'active': break
  }
  // The token is re-checked on every request: revoking it ends its sessions at once, even
  // if the revocation came from the CLI of another process.
  const token = await deps.tokens.check(found.session.tokenId)
  if (token === 'revoked') {
    await deps.sessions.end(found.session.idHash, 'token_revoked')
    return refused('token_revoked')
  }
  if (token === 'expired') return refused('session_expired', TOKEN_EXPIRED_MESSAGE)
  if (token === 'unknown') return refused('no_session')
  const { session, renewed } = await deps.sessions.touch(found.session, deps.sessionTtlMs, token.expiresAt)
  return { token, via: 'session', session, renewed }
}

export async function identify (request: FastifyRequest, deps: IdentifyDeps, opts: { ignoreCookie: boolean }): Promise<Identity> {
  const authorization = request.headers.authorization
  if (authorization !== undefined) return fromBearer(authorization, deps.tokens.verify)
  const sessionId = opts.ignoreCookie ? undefined : sessionIdOf(request)
  if (sessionId === undefined) return { token: null, reason: 'authentication required: send Authorization: Bearer <token>, or sign in (POST /session)', header: REALM }
  return fromSession(sessionId, deps)
}

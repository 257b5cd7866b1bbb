// Browser sessions of the dashboard: a person signs in with an API token and gets a random
// session id in an HttpOnly cookie (api/routes/session.ts). The session acts as its token: same
// role and scope, and the token is re-checked on every request. Stored here so that every
// API process sees the same sessions and a revocation from the CLI ends them at once.
import { createHash, randomBytes } from 'node:crypto'
import type { SqlDb } from './db/sql-db.ts'

export type SessionEndReason = 'signed_out' | 'token_revoked'

export type Session = {
  /** sha256 (hex) of the session id: the row's key; the id itself is only in the cookie. */
  idHash: string
  tokenId: string
  csrfToken: string
  createdAt: string
  expiresAt: string
  lastSeenAt: string
}

/** What a cookie's session id turned out to be. */
export type SessionLookup =
  | { state: 'active', session: Session }
  | { state: 'expired', tokenId: string }
  | { state: SessionEndReason }
  | { state: 'unknown' }

type Row = { id_hash: string, token_id: string, csrf_token: string, created_at: string, expires_at: string, last_seen_at: string, ended_at: string | null, end_reason: SessionEndReason | null }

// 256 random bits, base64url: the cookie value. Anything else is not a session id.
const SESSION_ID_RE = /^[A-Za-z0-9_-]{43}$/
const digest = (id: string) => createHash('sha256').update(id).digest('hex')
// Sliding expiry is written at most once a minute, whatever the request rate.
export const SESSION_TOUCH_RESOLUTION_MS = 60_000
// Ended and expired rows are kept this long past their expiry (a late request with the old
// cookie still learns why), then purged.
const PURGE_AFTER_MS = 24 * 3_600_000

const toSession = (r: Row): Session => ({
  idHash: r.id_hash, tokenId: r.token_id, csrfToken: r.csrf_token, createdAt: r.created_at, expiresAt: r.expires_at, lastSeenAt: r.last_seen_at
})

/** The session's expiry: `ttlMs` from `now`, never past the token's own expiry. */
function expiryOf (now: number, ttlMs: number, tokenExpiresAt: string | null): string {
  const end = tokenExpiresAt === null ? now + ttlMs : Math.min(now + ttlMs, Date.parse(tokenExpiresAt))
  return new Date(end).toISOString()
}

export function createSessionStore (db: SqlDb) {
  const getRow = (idHash: string) => db.get<Row>('SELECT * FROM api_sessions WHERE id_hash = ?', [idHash])

  // By the id's hash: what a request keeps of its session (`Session.idHash`).
  async function lookupHash (idHash: string, now = Date.now()): Promise<SessionLookup> {
    const row = await getRow(idHash)
    if (!row) return { state: 'unknown' }
    if (row.end_reason !== null) return { state: row.end_reason }
    if (Date.parse(row.expires_at) <= now) return { state: 'expired', tokenId: row.token_id }
    return { state: 'active', session: toSession(row) }
  }

  return {
    /** A new session for a verified token; the id goes into the cookie and nowhere else. */
    async open (input: { tokenId: string, ttlMs: number, tokenExpiresAt: string | null, now?: number }): Promise<{ id: string, session: Session }> {
      const now = input.now ?? Date.now()
      // Sign-in is rare: a good moment to drop rows long past their expiry.
      await db.run('DELETE FROM api_sessions WHERE expires_at < ?', [new Date(now - PURGE_AFTER_MS).toISOString()])
      const id = randomBytes(32).toString('base64url')
      const at = new Date(now).toISOString()
      await db.run('INSERT INTO api_sessions (id_hash, token_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)',
        [digest(id), input.tokenId, randomBytes(32).toString('base64url'), at, expiryOf(now, input.ttlMs, input.tokenExpiresAt), at])
      return { id, session: toSession((await getRow(digest(id)))!) }
    },

    /** The session behind a cookie value, or why there is none. */
    async lookup (id: string, now = Date.now()): Promise<SessionLookup> {
      if (!SESSION_ID_RE.test(id)) return { state: 'unknown' }
      return lookupHash(digest(id), now)
    },

    /** The session by the id's hash, or why there is none (a long-lived stream re-checks its session). */
    lookupHash,


    /**
     * Slides the expiry of an active session (at most once a minute): a wall screen that keeps
     * polling stays signed in, an idle one is signed out after `ttlMs`. Returns the session as
     * it now is, and whether it changed (the cookie's Max-Age is renewed then).
     */
    async touch (session: Session, ttlMs: number, tokenExpiresAt: string | null, now = Date.now()): Promise<{ session: Session, renewed: boolean }> {
      if (now - Date.parse(session.lastSeenAt) < SESSION_TOUCH_RESOLUTION_MS) return { session, renewed: false }
      const lastSeenAt = new Date(now).toISOString()
      const expiresAt = expiryOf(now, ttlMs, tokenExpiresAt)
      await db.run('UPDATE api_sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ? AND ended_at IS NULL', [lastSeenAt, expiresAt, session.idHash])
      return { session: { ...session, lastSeenAt, expiresAt }, renewed: true }
    },

    /** Ends one session (sign-out). Its csrf token is wiped; the row stays until purged. */
    async end (idHash: string, reason: SessionEndReason = 'signed_out'): Promise<void> {
      await db.run('UPDATE api_sessions SET ended_at = ?, end_reason = ?, csrf_token = \'\' WHERE id_hash = ? AND ended_at IS NULL', [new Date().toISOString(), reason, idHash])
    },

    /** Ends every session opened with a token (it was revoked). */
    async endForToken (tokenId: string, reason: SessionEndReason = 'token_revoked'): Promise<number> {
      return (await db.run('UPDATE api_sessions SET ended_at = ?, end_reason = ?, csrf_token = \'\' WHERE token_id = ? AND ended_at IS NULL', [new Date().toISOString(), reason, tokenId])).changes
    },

    /** Active sessions of a token (for tests and `tokens list`). */
    activeCount: async (tokenId: string, now = Date.now()): Promise<number> =>
      (await db.get<{ n: number }>('SELECT count(*) AS n FROM api_sessions WHERE token_id = ? AND ended_at IS NULL AND expires_at > ?', [tokenId, new Date(now).toISOString()]))!.n
  }
}

export type SessionStore = ReturnType<typeof createSessionStore>

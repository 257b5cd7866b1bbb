import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { DatabaseSync } from 'node:sqlite'
import { RegistryError } from './registry-error.ts'
import { Role, StationScope, type ApiToken } from './schemas.ts'

type Row = { id: string, name: string, role: string, scope: string, token_hash: string, created_at: string, created_by: string, expires_at: string | null, last_used_at: string | null, revoked_at: string | null }

const toToken = (r: Row): ApiToken => ({
  id: r.id, name: r.name, role: r.role as ApiToken['role'], scope: StationScope.parse(JSON.parse(r.scope)), createdAt: r.created_at, createdBy: r.created_by,
  expiresAt: r.expires_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at
})

// Tokens are 256 random bits, so a fast hash is enough (no dictionary to attack) and keeps
// per-request checks cheap. Format `wst_<id>_<secret>`: the id finds the row, the whole token
// is hashed and compared.
const TOKEN_RE = /^wst_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/
const digest = (token: string) => createHash('sha256').update(token).digest('hex')
// last_used_at is a hint for admins, not an audit trail: write it at most once a minute.
const LAST_USED_RESOLUTION_MS = 60_000

export function createTokenStore (db: DatabaseSync) {
  const q = {
    insert: db.prepare('INSERT INTO api_tokens (id, name, role, scope, token_hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    get: db.prepare('SELECT * FROM api_tokens WHERE id = ?'),
    all: db.prepare('SELECT * FROM api_tokens ORDER BY created_at, id'),
    revoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    used: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?')
  }

  function get (id: string): ApiToken | null {
    const row = q.get.get(id) as Row | undefined
    return row ? toToken(row) : null
  }

  function markUsed (row: Row): void {
    const now = Date.now()
    if (row.last_used_at === null || now - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
      q.used.run(new Date(now).toISOString(), row.id)
    }
  }

  return {
    get,
    list: (): ApiToken[] => (q.all.all() as Row[]).map(toToken),
    create (input: { name: string, role: string, createdBy: string, expiresAt?: string | null, scope?: StationScope }): { token: ApiToken, secret: string } {
      const name = input.name.trim()
      if (name.length < 1 || name.length > 100) throw new RegistryError('invalid', 'token name: 1-100 characters')
      const role = Role.safeParse(input.role)
      if (!role.success) throw new RegistryError('invalid', `role must be one of ${Role.options.join(', ')}`)
      const scope = StationScope.safeParse(input.scope ?? { kind: 'all' })
      if (!scope.success) throw new RegistryError('invalid', `scope: ${scope.error.issues.map((i) => i.message).join('; ')}`)
      // Admin routes manage the whole fleet (stations, credentials, tokens, audit log): a token
      // that could do that but see only some stations would be a contradiction, not a safeguard.
      if (role.data === 'admin' && scope.data.kind !== 'all') throw new RegistryError('invalid', 'an admin token is always scoped to all stations: give a scoped token the viewer or operator role')
      if (input.expiresAt != null && !(Date.parse(input.expiresAt) > Date.now())) throw new RegistryError('invalid', 'expiresAt must be a future ISO date-time')
      const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12)
      const secret = `wst_${id}_${randomBytes(32).toString('base64url')}`
      q.insert.run(id, name, role.data, JSON.stringify(scope.data), digest(secret), new Date().toISOString(), input.createdBy,
        input.expiresAt == null ? null : new Date(input.expiresAt).toISOString())
      return { token: get(id)!, secret }
    },
    revoke (id: string): { before: ApiToken, token: ApiToken } {
      const before = get(id)
      if (!before) throw new RegistryError('not_found', `token ${id} not found`)
      if (before.revokedAt) throw new RegistryError('conflict', `token ${id} is already revoked`)
      q.revoke.run(new Date().toISOString(), id)
      return { before, token: get(id)! }
    },
    /**
     * A token by id for a request made with a session opened with it: the record while it is
     * usable, else why not. Marks it used like `verify`.
     */
    check (id: string): ApiToken | 'revoked' | 'expired' | 'unknown' {
      const row = q.get.get(id) as Row | undefined
      if (!row) return 'unknown'
      if (row.revoked_at !== null) return 'revoked'
      if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now()) return 'expired'
      markUsed(row)
      return toToken(row)
    },
    /** The token's record when the bearer string is a valid, unrevoked, unexpired token. */
    verify (bearer: string): ApiToken | null {
      const m = TOKEN_RE.exec(bearer)
      if (!m) return null
      const row = q.get.get(m[1]!) as Row | undefined
      if (!row || row.revoked_at !== null) return null
      if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now()) return null
      const a = Buffer.from(row.token_hash, 'hex')
      const b = Buffer.from(digest(bearer), 'hex')
      if (a.length !== b.length || !timingSafeEqual(a, b)) return null
      markUsed(row)
      return toToken(row)
    }
  }
}

export type TokenStore = ReturnType<typeof createTokenStore>

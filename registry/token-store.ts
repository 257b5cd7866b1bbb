import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { SqlDb } from './db/sql-db.ts'
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

export function createTokenStore (db: SqlDb) {
  const getRow = (id: string) => db.get<Row>('SELECT * FROM api_tokens WHERE id = ?', [id])

  async function get (id: string): Promise<ApiToken | null> {
    const row = await getRow(id)
    return row ? toToken(row) : null
  }

  async function markUsed (row: Row): Promise<void> {
    const now = Date.now()
    if (row.last_used_at === null || now - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
      await db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [new Date(now).toISOString(), row.id])
    }
  }

  return {
    get,
    list: async (): Promise<ApiToken[]> => (await db.all<Row>('SELECT * FROM api_tokens ORDER BY created_at, id')).map(toToken),
    async create (input: { name: string, role: string, createdBy: string, expiresAt?: string | null, scope?: StationScope }): Promise<{ token: ApiToken, secret: string }> {
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
      await db.run('INSERT INTO api_tokens (id, name, role, scope, token_hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [id, name, role.data, JSON.stringify(scope.data), digest(secret), new Date().toISOString(), input.createdBy,
          input.expiresAt == null ? null : new Date(input.expiresAt).toISOString()])
      return { token: (await get(id))!, secret }
    },
    async revoke (id: string): Promise<{ before: ApiToken, token: ApiToken }> {
      const before = await get(id)
      if (!before) throw new RegistryError('not_found', `token ${id} not found`)
      if (before.revokedAt) throw new RegistryError('conflict', `token ${id} is already revoked`)
      await db.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [new Date().toISOString(), id])
      return { before, token: (await get(id))! }
    },
    /**
     * A token by id for a request made with a session opened with it: the record while it is
     * usable, else why not. Marks it used like `verify`.
     */
    async check (id: string): Promise<ApiToken | 'revoked' | 'expired' | 'unknown'> {
      const row = await getRow(id)
      if (!row) return 'unknown'
      if (row.revoked_at !== null) return 'revoked'
      if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now()) return 'expired'
      await markUsed(row)
      return toToken(row)
    },
    /** The token's record when the bearer string is a valid, unrevoked, unexpired token. */
    async verify (bearer: string): Promise<ApiToken | null> {
      const m = TOKEN_RE.exec(bearer)
      if (!m) return null
      const row = await getRow(m[1]!)
      if (!row || row.revoked_at !== null) return null
      if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now()) return null
      const a = Buffer.from(row.token_hash, 'hex')
      const b = Buffer.from(digest(bearer), 'hex')
      if (a.length !== b.length || !timingSafeEqual(a, b)) return null
      await markUsed(row)
      return toToken(row)
    }
  }
}

export type TokenStore = ReturnType<typeof createTokenStore>

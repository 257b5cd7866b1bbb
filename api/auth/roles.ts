// Who may call a route. Every route declares the least role it needs in its config
// (`config: { auth: 'admin' }`); a route that declares nothing needs `viewer`, so a route
// added later is closed to anonymous callers until someone decides otherwise.
import type { FastifyRequest } from 'fastify'
import { ROLES, type ApiToken, type Role } from '../../registry/schemas.ts'

export type AuthLevel = 'public' | Role

export const AUTH_LEVELS = ['public', ...ROLES] as const satisfies readonly AuthLevel[]

export const DEFAULT_AUTH_LEVEL: AuthLevel = 'viewer'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role this route needs; `public` needs no token. Default: `viewer`. */
    auth?: AuthLevel
  }
  interface FastifyRequest {
    /** The verified token of the caller; null on public routes called without one. */
    apiToken: ApiToken | null
  }
}

// Roles are cumulative: operator can do what viewer can, admin what operator can.
const RANK: Record<AuthLevel, number> = { public: 0, viewer: 1, operator: 2, admin: 3 }

export function allows (role: Role, level: AuthLevel): boolean {
  return RANK[role] >= RANK[level]
}

export function isAuthLevel (value: unknown): value is AuthLevel {
  return typeof value === 'string' && (AUTH_LEVELS as readonly string[]).includes(value)
}

/** The level a route's config asks for, or the default when it asks for nothing. */
export function levelOf (config: { auth?: unknown } | undefined): AuthLevel {
  const level = config?.auth
  if (level === undefined) return DEFAULT_AUTH_LEVEL
  // A typo ('admni') must not silently fall back to something weaker: fail at start-up.
  if (!isAuthLevel(level)) throw new Error(`unknown auth level ${JSON.stringify(level)}; use one of ${AUTH_LEVELS.join(', ')}`)
  return level
}

/**
 * The audit log's `actor` for a request: `token:<id>:<name>`. Only admin routes call it, and
 * the auth hook has verified a token before any of them runs.
 */
export function actorOf (request: FastifyRequest): string {
  const token = request.apiToken
  if (!token) throw new Error('actorOf called on a request without a verified token')
  return `token:${token.id}:${token.name}`
}

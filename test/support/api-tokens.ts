// API tokens for tests, made the way an admin makes them (registry/admin.ts, audited), so a
// test says which role it calls as:
//   const as = await apiTokens(registry)
//   app.inject({ url: '/stations', headers: as.viewer })
//   fetch(url, { headers: stack.auth('admin') })
import { createAdmin } from '../../registry/admin.ts'
import type { Registry } from '../../registry/open-registry.ts'
import type { Role, StationScope } from '../../registry/schemas.ts'

export type AuthHeaders = { authorization: string }

export const bearer = (secret: string): AuthHeaders => ({ authorization: `Bearer ${secret}` })

/** Mints a new token of `role` and returns its secret. */
export async function mintToken (registry: Registry, role: Role, opts: { name?: string, expiresAt?: string, scope?: StationScope } = {}): Promise<string> {
  return (await createAdmin(registry).createToken('test:support', { name: opts.name ?? `test-${role}`, role, expiresAt: opts.expiresAt ?? null, ...(opts.scope ? { scope: opts.scope } : {}) })).secret
}

/** One token per role: `secrets` to look for in logs, headers to send. */
export async function apiTokens (registry: Registry) {
  const secrets: Record<Role, string> = {
    viewer: await mintToken(registry, 'viewer'),
    operator: await mintToken(registry, 'operator'),
    admin: await mintToken(registry, 'admin')
  }
  return {
    secrets,
    viewer: bearer(secrets.viewer),
    operator: bearer(secrets.operator),
    admin: bearer(secrets.admin)
  }
}

export type ApiTokens = Awaited<ReturnType<typeof apiTokens>>

// What a store needs to know about a failed statement, the same way for both drivers.

/**
 * A UNIQUE or PRIMARY KEY violation: node:sqlite's SQLITE_CONSTRAINT_UNIQUE (2067) or
 * SQLITE_CONSTRAINT_PRIMARYKEY (1555) extended codes, postgres' SQLSTATE 23505.
 */
export function isUniqueViolation (err: unknown): boolean {
  const e = err as { code?: unknown, errcode?: unknown } | null
  if (!e || typeof e !== 'object') return false
  return e.code === '23505' || e.errcode === 2067 || e.errcode === 1555
}

// The API's protective limits in one shape, with the defaults buildApp uses when the caller
// (a test, usually) passes none. The process reads them from the environment in
// platform/config.ts, whose defaults are the same; .env.example explains each.
import type { Config } from '../../platform/config.ts'

export type SecurityOptions = {
  /** Requests per window, per token (or per client address without a valid token). */
  rateLimitMax: number
  rateLimitWindowMs: number
  /** Sign-in attempts (POST /session) per window and client address, on top of the above. */
  signInRateLimitMax: number
  /** A browser session ends after this long without a request (and at its token's expiry). */
  sessionTtlMs: number
  /** Origins allowed to call the API from a browser; empty: no CORS headers at all. */
  corsOrigins: string[]
  /** Largest request body in bytes, and the larger one for CSV station imports. */
  bodyLimit: number
  importBodyLimit: number
  /** Serve /metrics without a token (for a scraper on a trusted network). */
  metricsPublic: boolean
  /** Fastify's trustProxy: whose X-Forwarded-For to believe for the client address. */
  trustProxy: boolean | string
}

export const DEFAULT_SECURITY: SecurityOptions = {
  rateLimitMax: 300,
  rateLimitWindowMs: 60_000,
  signInRateLimitMax: 30,
  sessionTtlMs: 12 * 3_600_000,
  corsOrigins: [],
  bodyLimit: 1024 * 1024,
  importBodyLimit: 8 * 1024 * 1024,
  metricsPublic: false,
  trustProxy: false
}

export type SecurityConfig = Pick<Config, 'API_RATE_LIMIT_MAX' | 'API_RATE_LIMIT_WINDOW_MS' | 'API_SIGN_IN_RATE_LIMIT_MAX' | 'SESSION_TTL' | 'API_CORS_ORIGINS' | 'API_BODY_LIMIT' |
  'API_IMPORT_BODY_LIMIT' | 'METRICS_PUBLIC' | 'API_TRUST_PROXY'>

/** Options from configuration; a key left out keeps its default. */
export function securityFromConfig (config: Partial<SecurityConfig>): SecurityOptions {
  return {
    rateLimitMax: config.API_RATE_LIMIT_MAX ?? DEFAULT_SECURITY.rateLimitMax,
    rateLimitWindowMs: config.API_RATE_LIMIT_WINDOW_MS ?? DEFAULT_SECURITY.rateLimitWindowMs,
    signInRateLimitMax: config.API_SIGN_IN_RATE_LIMIT_MAX ?? DEFAULT_SECURITY.signInRateLimitMax,
    sessionTtlMs: config.SESSION_TTL ?? DEFAULT_SECURITY.sessionTtlMs,
    corsOrigins: config.API_CORS_ORIGINS ?? DEFAULT_SECURITY.corsOrigins,
    bodyLimit: config.API_BODY_LIMIT ?? DEFAULT_SECURITY.bodyLimit,
    importBodyLimit: config.API_IMPORT_BODY_LIMIT ?? DEFAULT_SECURITY.importBodyLimit,
    metricsPublic: config.METRICS_PUBLIC ?? DEFAULT_SECURITY.metricsPublic,
    trustProxy: config.API_TRUST_PROXY ?? DEFAULT_SECURITY.trustProxy
  }
}

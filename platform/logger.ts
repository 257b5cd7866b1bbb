import { pino, type Logger } from 'pino'

export type { Logger }

/** What the root logger never writes, wherever in a logged object it appears. */
export const REDACT_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token',
  'req.headers.authorization', 'headers.authorization',
  // The dashboard's session cookie is a credential like a token.
  'req.headers.cookie', 'headers.cookie', 'res.headers["set-cookie"]', 'headers["set-cookie"]',
  'INFLUX_PASSWORD', '*.INFLUX_PASSWORD', 'REDIS_URL', '*.REDIS_URL'
]

// One root logger per process; components take a child (`logger.child({ component: 'ingest' })`).
// Secrets never reach the output even if someone logs a whole object that holds them.
export function createLogger (level: string = 'info'): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' }
  })
}

import { pino, type Logger } from 'pino'

export type { Logger }

// One root logger per process; components take a child (`logger.child({ component: 'ingest' })`).
// Secrets never reach the output even if someone logs a whole object that holds them.
export function createLogger (level: string = 'info'): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: {
      paths: [
        'password', '*.password', 'secret', '*.secret', 'token', '*.token',
        'req.headers.authorization', 'headers.authorization', 'INFLUX_PASSWORD', '*.INFLUX_PASSWORD', 'LIVE_MQTT_SERVICE_SECRET', '*.LIVE_MQTT_SERVICE_SECRET', 'REDIS_URL', '*.REDIS_URL'
      ],
      censor: '[redacted]'
    }
  })
}

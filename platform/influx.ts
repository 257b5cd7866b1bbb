import { InfluxDB } from 'influx'
import type { Config } from './config.ts'

// All InfluxDB DDL lives here, so a move to 2.x (DBRP mapping made by an admin) or 3.x (no
// CREATE DATABASE over InfluxQL) changes one file.

export type InfluxClientOptions = {
  /** Per-request timeout; node-influx's default is 30 s. */
  requestTimeoutMs?: number
  /** node-influx retries a failed request on the same host this many times (default 2). */
  maxRetries?: number
}

/** A node-influx client for INFLUX_URL with INFLUX_DB as its default database. */
export function influxClient (config: Pick<Config, 'INFLUX_URL' | 'INFLUX_DB' | 'INFLUX_USERNAME' | 'INFLUX_PASSWORD'>, opts: InfluxClientOptions = {}): InfluxDB {
  const url = new URL(config.INFLUX_URL)
  const protocol = url.protocol === 'https:' ? 'https' : 'http'
  return new InfluxDB({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'), // IPv6 literal: [::1] → ::1
    port: url.port ? Number(url.port) : (protocol === 'https' ? 443 : 80),
    protocol,
    database: config.INFLUX_DB,
    // Without a username node-influx sends root:root basic auth, which a server with auth
    // disabled ignores; with auth enabled, INFLUX_USERNAME/INFLUX_PASSWORD must be set.
    ...(config.INFLUX_USERNAME ? { username: config.INFLUX_USERNAME, password: config.INFLUX_PASSWORD ?? '' } : {}),
    ...(opts.requestTimeoutMs !== undefined || opts.maxRetries !== undefined
      ? { pool: { ...(opts.requestTimeoutMs !== undefined ? { requestTimeout: opts.requestTimeoutMs } : {}), ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}) } }
      : {})
  })
}

/** CREATE DATABASE is idempotent in InfluxDB 1.x. */
export async function ensureDatabase (influx: InfluxDB, database: string): Promise<void> {
  await influx.createDatabase(database)
}

/**
 * Keep trying until the database exists. Start-up does not wait for InfluxDB: until it is
 * there, writes fail as retryable and devices' messages wait unacknowledged.
 */
export function ensureDatabaseInBackground (influx: InfluxDB, database: string, onError: (err: Error, attempt: number) => void): { ready: Promise<void>, cancel: () => void } {
  let cancelled = false
  let timer: NodeJS.Timeout | undefined
  const ready = new Promise<void>((resolve) => {
    const attempt = (n: number) => {
      if (cancelled) return resolve()
      ensureDatabase(influx, database).then(resolve, (err: Error) => {
        onError(err, n)
        timer = setTimeout(() => attempt(n + 1), Math.min(5000, 250 * 2 ** n))
      })
    }
    attempt(0)
  })
  return { ready, cancel: () => { cancelled = true; clearTimeout(timer) } }
}

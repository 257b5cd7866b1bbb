import { escape, InfluxDB } from 'influx'
import { retentionMs, type Config } from './config.ts'
import type { Logger } from './logger.ts'

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

/**
 * Rollup points live in their own retention policy, kept forever: reports over years read them
 * long after the raw events they came from are gone. Raw events stay in the default policy,
 * whose duration is RAW_RETENTION (docs/influxdb-schema.md, docs/security.md).
 */
export const ROLLUP_RETENTION_POLICY = 'rollups'
const DAY_MS = 86_400_000

export type SchemaOptions = {
  /** RAW_RETENTION ('400d', 'INF'); unset: the default policy is left as it is. */
  rawRetention?: string
  logger?: Pick<Logger, 'info' | 'warn'>
}

/** The effective policies, or null when the server refused retention policy statements. */
export type RetentionReport = { raw: { policy: string, duration: string, shardDuration: string } | null, rollups: string } | null

/**
 * Creates the database and the retention policies; idempotent, run on every start. Network
 * failures and 5xx reject (the caller retries). A server that refuses the statements (InfluxDB
 * 2.x/3.x, where an admin makes buckets or databases and sets their retention, or a user
 * without admin rights) is logged and skipped: retrying would not help; rollup writes fail
 * (and retry) until the `rollups` policy or its mapping exists (docs/influxdb-schema.md).
 */
export async function ensureDatabase (influx: InfluxDB, database: string, opts: SchemaOptions = {}): Promise<RetentionReport> {
  try {
    // CREATE DATABASE is idempotent in InfluxDB 1.x.
    await ddl(influx, `CREATE DATABASE ${escape.quoted(database)}`)
    return await ensureRetentionPolicies(influx, database, opts)
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err
    opts.logger?.warn({ err: err.message, database }, 'InfluxDB refused CREATE DATABASE or RETENTION POLICY: retention is as the server has it (on InfluxDB 2.x/3.x create the buckets or databases and set retention there)')
    return null
  }
}

/** InfluxDB's own default shard group durations: a shard group is dropped once all of it is past the policy's duration, so points outlive it by up to one group. */
export function shardDurationFor (retention: string): string {
  const ms = retentionMs(retention)
  if (ms === null || ms > 180 * DAY_MS) return '7d'
  return ms >= 2 * DAY_MS ? '1d' : '1h'
}

type Policy = { name: string, duration: number, shardGroupDuration: number, isDefault: boolean }

async function ensureRetentionPolicies (influx: InfluxDB, database: string, opts: SchemaOptions): Promise<RetentionReport> {
  const db = escape.quoted(database)
  const policies = await showPolicies(influx, database)
  const rollups = policies.find((p) => p.name === ROLLUP_RETENTION_POLICY)
  if (!rollups) {
    await ddl(influx, `CREATE RETENTION POLICY ${escape.quoted(ROLLUP_RETENTION_POLICY)} ON ${db} DURATION INF REPLICATION 1 SHARD DURATION 7d`)
  } else if (rollups.duration !== 0) {
    // Only an operator sets this (e.g. to expire the rollups' worker sets, docs/security.md).
    opts.logger?.warn({ database, duration: goDuration(rollups.duration) }, 'the rollups retention policy is not INF: rollups older than that are dropped; left as set')
  }
  const rollupsDuration = rollups && rollups.duration !== 0 ? goDuration(rollups.duration) : 'INF'
  if (opts.rawRetention === undefined) return { raw: null, rollups: rollupsDuration }

  // Ingest writes to the default policy: normally autogen. A database made without one (or
  // with rollups as its default) gets autogen back as the default.
  const current = policies.find((p) => p.isDefault && p.name !== ROLLUP_RETENTION_POLICY)
  const name = current?.name ?? 'autogen'
  const existing = policies.find((p) => p.name === name)
  const duration = opts.rawRetention
  const shardDuration = shardDurationFor(duration)
  const wantMs = retentionMs(duration) ?? 0
  const target = `${escape.quoted(name)} ON ${db} DURATION ${duration} REPLICATION 1 SHARD DURATION ${shardDuration} DEFAULT`
  if (!existing) {
    await ddl(influx, `CREATE RETENTION POLICY ${target}`)
  } else if (existing.duration !== wantMs || existing.shardGroupDuration !== retentionMs(shardDuration) || !existing.isDefault) {
    await ddl(influx, `ALTER RETENTION POLICY ${target}`)
    // Shortening deletes: InfluxDB drops the shard groups now past the new duration.
    const shorter = wantMs !== 0 && (existing.duration === 0 || wantMs < existing.duration)
    opts.logger?.[shorter ? 'warn' : 'info']({ database, policy: name, from: goDuration(existing.duration), to: duration }, shorter ? 'raw event retention shortened: older raw events are deleted by InfluxDB' : 'raw event retention changed')
  }
  opts.logger?.info({ database, raw: { policy: name, duration, shardDuration }, rollups: { policy: ROLLUP_RETENTION_POLICY, duration: rollupsDuration } }, 'retention policies')
  return { raw: { policy: name, duration, shardDuration }, rollups: rollupsDuration }
}

/** A statement the server answered with an error: retrying will not help. */
class RefusedError extends Error {}

type RawResult = { error?: string, results?: Array<{ error?: string, series?: Array<{ columns: string[], values: unknown[][] }> }> }

async function run (influx: InfluxDB, q: string, method: 'GET' | 'POST'): Promise<RawResult> {
  let res: RawResult
  try {
    res = await influx.queryRaw(q, { method }) as RawResult
  } catch (err) {
    // node-influx: a 4xx is a RequestError carrying the response (5xx and network errors are retried).
    const status = (err as { res?: { statusCode?: number } }).res?.statusCode
    throw status !== undefined && status < 500 ? new RefusedError((err as Error).message) : err
  }
  const error = res.error ?? res.results?.find((r) => r.error)?.error
  if (error) throw new RefusedError(error)
  return res
}

async function ddl (influx: InfluxDB, q: string): Promise<void> {
  await run(influx, q, 'POST')
}

async function showPolicies (influx: InfluxDB, database: string): Promise<Policy[]> {
  const res = await run(influx, `SHOW RETENTION POLICIES ON ${escape.quoted(database)}`, 'GET')
  const series = res.results?.[0]?.series?.[0]
  if (!series) return []
  const col = (name: string) => series.columns.indexOf(name)
  return series.values.map((v) => ({
    name: String(v[col('name')]),
    duration: parseGoDuration(String(v[col('duration')])),
    shardGroupDuration: parseGoDuration(String(v[col('shardGroupDuration')])),
    isDefault: v[col('default')] === true
  }))
}

/** '9600h0m0s' → ms; '0s' (INF) → 0. */
function parseGoDuration (s: string): number {
  let ms = 0
  for (const [, n, unit] of s.matchAll(/([\d.]+)(ms|µs|us|ns|h|m|s)/g)) {
    ms += Number(n) * ({ h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 } as Record<string, number>)[unit!]!
  }
  return ms
}

const goDuration = (ms: number) => (ms === 0 ? 'INF' : ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : `${ms / 3_600_000}h`)

/**
 * Keep trying until the database exists. Start-up does not wait for InfluxDB: until it is
 * there, writes fail as retryable and devices' messages wait unacknowledged.
 */
export function ensureDatabaseInBackground (influx: InfluxDB, database: string, onError: (err: Error, attempt: number) => void, opts: SchemaOptions = {}): { ready: Promise<void>, cancel: () => void } {
  let cancelled = false
  let timer: NodeJS.Timeout | undefined
  const ready = new Promise<void>((resolve) => {
    const attempt = (n: number) => {
      if (cancelled) return resolve()
      ensureDatabase(influx, database, opts).then(() => resolve(), (err: Error) => {
        onError(err, n)
        timer = setTimeout(() => attempt(n + 1), Math.min(5000, 250 * 2 ** n))
      })
    }
    attempt(0)
  })
  return { ready, cancel: () => { cancelled = true; clearTimeout(timer) } }
}

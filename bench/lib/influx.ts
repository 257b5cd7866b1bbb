import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureDatabase, influxClient } from '../../platform/influx.ts'
import { startInfluxd } from '../../scripts/influxd.ts'

// A throw-away influxd per scenario (fresh data dir, free ports), so one scenario's data and
// compactions do not slow the next, and counting what is stored.

export const DATA_MEASUREMENTS = ['door', 'occupancy', 'environment', 'equipment', 'supply'] as const

export type BenchInflux = { url: string, pid: number, stop (): Promise<void> }

export async function startBenchInflux (log: (line: string) => void): Promise<BenchInflux> {
  const dataDir = await mkdtemp(join(tmpdir(), 'waystation-bench-influx-'))
  const server = await startInfluxd({ dataDir, log })
  return {
    url: server.url,
    pid: server.pid,
    async stop () {
      await server.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}

export async function influxQuery (url: string, db: string, q: string): Promise<Array<{ name: string, values?: unknown[][] }>> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&q=${encodeURIComponent(q)}`, { method: 'POST', signal: AbortSignal.timeout(120_000) })
  const body = await res.json() as { results?: Array<{ series?: Array<{ name: string, values?: unknown[][] }>, error?: string }>, error?: string }
  const err = body.error ?? body.results?.find((r) => r.error)?.error
  if (!res.ok || err !== undefined) throw new Error(`InfluxDB query failed (${res.status}): ${err ?? ''}`)
  return body.results?.flatMap((r) => r.series ?? []) ?? []
}

/** The service's own DDL (platform/influx.ts): the database and its `rollups` policy. */
export async function createDatabase (url: string, db: string): Promise<void> {
  await ensureDatabase(influxClient({ INFLUX_URL: url, INFLUX_DB: db }), db)
}

/** Points stored per data measurement (every point has a seq field). */
export async function countPoints (url: string, db: string): Promise<{ total: number, by: Record<string, number> }> {
  const by: Record<string, number> = {}
  const series = await influxQuery(url, db, `SELECT count("seq") FROM ${DATA_MEASUREMENTS.map((m) => `"${m}"`).join(', ')}`).catch((err: Error) => {
    if (/database not found/.test(err.message)) return []
    throw err
  })
  for (const s of series) by[s.name] = Number(s.values?.[0]?.[1] ?? 0)
  return { total: Object.values(by).reduce((a, b) => a + b, 0), by }
}

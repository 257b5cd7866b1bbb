// Fleet answers of complete months, computed once: /fleet/summary over a whole month and
// /fleet/reports/:month depend only on the monthly rollups (and the days the job still has
// marked), the station registry and, for reports, the month's alerts. At 20,000 stations
// computing them takes seconds (summary) to minutes (a report's fleet-wide distinct workers:
// bench/RESULTS.md); sending a cached one takes milliseconds.
//
// An entry is valid for (the month's generation in the rollup state, which the job changes
// after every monthly point it writes, shared by all nodes on a PostgreSQL registry) + (a
// fingerprint of the stations' facts, re-read only when registry.stations.version() moves:
// not registry.changeToken(), which every presence flush moves, re-listing 20,000 stations
// every few seconds while devices are connected). Only
// months that are over in every station's zone, with no day marked dirty and no day computed
// from raw events, are kept: anything else is computed per request as before. Entries are
// keyed by the caller's scope and selection, so a scoped token never gets another's rows.
import { createHash } from 'node:crypto'
import { monthBounds, monthOf } from '../../rollups/day-bounds.ts'
import { localDate } from '../../platform/local-day.ts'
import type { Registry } from '../../registry/open-registry.ts'
import type { StationScope } from '../../registry/schemas.ts'
import type { FigureSource } from '../figures/day-source.ts'
import { stationInfo, type StationInfo } from '../figures/station.ts'
import type { Lang } from '../reports/labels/index.ts'
import { alertSummary, type AlertMonthSummary } from '../reports/alert-summary.ts'
import { fleetReport } from '../reports/monthly-report.ts'
import type { ReportFormat } from '../reports/negotiate.ts'
import { fleetTables, type FleetReportJson } from '../reports/report-tables.ts'
import { toCsv } from '../reports/table.ts'
import { toXlsx } from '../reports/xlsx.ts'
import { FleetBody, fleetSummary, selectStations, type FleetSummaryQuery } from '../routes/fleet.ts'
import { createAnswerCache, type CacheOutcome } from './answer-cache.ts'
import { compress, COMPRESS_MIN_BYTES, type CachedAnswer, type Encoding } from './send-cached.ts'

export type FleetSelection = { stations?: string[] | undefined, district?: string | undefined }
export type FleetCacheOptions = { registry: Registry, figures: FigureSource, maxBytes: number, now?: () => number }
export type FleetCache = ReturnType<typeof createFleetCache>

const hash = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22)
const scopeKey = (scope: StationScope) =>
  scope.kind === 'all' ? 'all' : scope.kind === 'district' ? `district=${JSON.stringify(scope.district)}` : `stations=${JSON.stringify([...scope.stations].sort())}`
/** Who asks and what for: answers are never shared between two of these. */
const selectionKey = (sel: FleetSelection, scope: StationScope) =>
  `${scopeKey(scope)}|${sel.stations ? JSON.stringify(sel.stations) : '*'}|${sel.district === undefined ? '*' : JSON.stringify(sel.district)}`

export function createFleetCache (opts: FleetCacheOptions) {
  const { registry, figures } = opts
  const now = opts.now ?? Date.now
  const cache = createAnswerCache({ maxBytes: opts.maxBytes })
  // The stations as last listed, and a fingerprint of them: listing 20,000 stations costs
  // 0.4-0.8 s on a loaded 2-core machine, so only when a station was added or changed.
  let view: { version: number, stations: StationInfo[], fingerprint: string, zones: string[] } | undefined
  const alertMemo = new Map<string, { token: string, alerts: AlertMonthSummary }>()

  /** The stations' facts the answers show or depend on, re-read when a station changed. */
  async function registryView () {
    // Read before the list: a write between the two is listed now and moves it again later
    // (one extra listing), never the other way round (a change kept unseen).
    const version = await registry.stations.version()
    if (view?.version === version) return view
    const stations = (await registry.listStations()).map(stationInfo)
    return (view = { version, stations, fingerprint: hash(JSON.stringify(stations)), zones: [...new Set(stations.map((s) => s.timezone))] })
  }

  /** What the month's answers depend on, or null when they must be computed (not cached). */
  async function validityOf (month: string): Promise<string | null> {
    const status = figures.status
    if (!status?.monthGeneration) return null
    const v = await registryView()
    const { first, last } = monthBounds(month)
    const t = now()
    if (v.zones.some((tz) => localDate(t, tz) <= last)) return null // not over everywhere yet
    const [generation, dirty] = await Promise.all([status.monthGeneration(month), status.dirtyBetween(first, last)])
    // No monthly rollup written for the month (a new deployment, or data older than the job):
    // its answers come from raw days and are not kept, so there is nothing to cache or warm.
    if (generation === null) return null
    // Days the job is about to recompute: the answers say so (pendingDays) and change soon.
    if (dirty.length > 0) return null
    return `${generation}|${v.fingerprint}`
  }

  /** `identity`, or its compressed form (kept as long as the identity body is). */
  async function encoded (key: string, validity: string, encoding: Encoding, identity: { value: Buffer, outcome: CacheOutcome }): Promise<CachedAnswer> {
    if (encoding === 'identity' || identity.value.byteLength < COMPRESS_MIN_BYTES) return { body: identity.value, encoding: 'identity', outcome: identity.outcome }
    const z = await cache.get(`${key}|${encoding}`, validity, async () => {
      const body = await compress(identity.value, encoding)
      return { value: body, bytes: body.byteLength, keep: cache.has(key, validity) }
    })
    return { body: z.value, encoding, outcome: identity.outcome }
  }

  /** The month's alerts (not cached with the figures: acknowledgements come later), memoised per registry state. */
  async function alertsOf (month: string, sel: FleetSelection, scope: StationScope): Promise<AlertMonthSummary> {
    const token = await registry.changeToken()
    const key = `${month}|${selectionKey(sel, scope)}`
    const memo = alertMemo.get(key)
    if (memo?.token === token) return memo.alerts
    const alerts = await alertSummary(registry.alerts, (await selectStations(registry, sel, scope, (await registryView()).stations)).stations, month)
    if (alertMemo.size >= 256) alertMemo.clear()
    alertMemo.set(key, { token, alerts })
    return alerts
  }

  return {
    /** /fleet/summary encoded; null when the range is not a whole, complete, cacheable month. */
    async summary (q: FleetSummaryQuery, scope: StationScope, encoding: Encoding): Promise<CachedAnswer | null> {
      const month = monthOf(q.from)
      const { first, last } = monthBounds(month)
      if (q.from !== first || q.to !== last) return null
      const validity = await validityOf(month)
      if (validity === null) return null
      const key = `summary|${month}|${q.sort}|${selectionKey(q, scope)}`
      const identity = await cache.get(key, validity, async () => {
        const value = await fleetSummary(registry, figures, q, scope, (await registryView()).stations)
        // As fastify-type-provider-zod's serializer: the schema's encoding, then JSON.
        const body = Buffer.from(JSON.stringify(FleetBody.encode(value)))
        return { value: body, bytes: body.byteLength, keep: value.provenance.rawDays === 0 }
      })
      return await encoded(key, validity, encoding, identity)
    },

    /** /fleet/reports/:month in a format and language; null when the month is not cacheable. */
    async report (month: string, sel: FleetSelection, scope: StationScope, format: ReportFormat, lang: Lang, encoding: Encoding): Promise<CachedAnswer | null> {
      const validity = await validityOf(month)
      if (validity === null) return null
      const baseKey = `report|${month}|${selectionKey(sel, scope)}`
      // The figures without the alerts, as JSON: the costly part, shared by formats and languages.
      const base = await cache.get(baseKey, validity, async () => {
        const { stations, everyStation } = await selectStations(registry, sel, scope, (await registryView()).stations)
        const report = await fleetReport(figures, stations, month, everyStation)
        const value = Buffer.from(JSON.stringify({ everyStation, report }))
        return { value, bytes: value.byteLength, keep: report.provenance.rawDays === 0 }
      })
      const alerts = await alertsOf(month, sel, scope)
      const key = `${baseKey}|${format}|${format === 'json' ? '' : lang}|${hash(JSON.stringify(alerts))}`
      const body = await cache.get(key, validity, async () => {
        const { everyStation, report } = JSON.parse(base.value.toString()) as { everyStation: boolean, report: FleetReportJson & { summary: Record<string, unknown> } }
        report.summary.alerts = alerts // where fleetReport puts them: last in the summary
        const value = format === 'json'
          ? Buffer.from(JSON.stringify(report))
          : format === 'csv' ? Buffer.from(toCsv(fleetTables(report, everyStation, lang, new Date(now()))[0]!)) : toXlsx(fleetTables(report, everyStation, lang, new Date(now())))
        return { value, bytes: value.byteLength, keep: cache.has(baseKey, validity) }
      })
      const outcome: CacheOutcome = base.outcome === 'hit' && body.outcome === 'hit' ? 'hit' : 'miss'
      // XLSX is a zip already.
      return await encoded(key, validity, format === 'xlsx' ? 'identity' : encoding, { value: body.value, outcome })
    },

    /** Whether the month's default answers (all stations, as an admin sees them) are cached and valid. */
    async warmed (month: string, keys: readonly string[]): Promise<boolean> {
      const validity = await validityOf(month)
      return validity !== null && keys.every((k) => cache.has(k, validity))
    },
    /** What the month's cached answers are valid for, or null when they are not cached. */
    validity: validityOf,
    /** The stations' time zones (from the station list the cache keeps). */
    zones: async (): Promise<readonly string[]> => (await registryView()).zones,
    stats: cache.stats
  }
}

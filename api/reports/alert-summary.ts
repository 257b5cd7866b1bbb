// Alerts in a monthly report: the alerts that fired during the month (each station's local
// calendar month), per rule and severity, how many were acknowledged and the median time from
// firing to acknowledgement. From the registry (alerts keep their whole history there).
import type { Alert } from '../../alerts/schemas.ts'
import { localDayOf, monthBounds } from '../../rollups/day-bounds.ts'
import type { AlertStore } from '../../registry/alert-store.ts'

type Station = { id: string, timezone: string }

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const minutes = (xs: number[]) => { const m = median(xs); return m === null ? null : Math.round(m / 6_000) / 10 }

export type AlertRuleRow = { rule: string, severity: string, fired: number, acknowledged: number, medianMinutesToAck: number | null }
export type AlertMonthSummary = { fired: number, acknowledged: number, medianMinutesToAck: number | null, byRule: AlertRuleRow[] }

export async function alertSummary (alerts: Pick<AlertStore, 'list'>, stations: readonly Station[], month: string): Promise<AlertMonthSummary> {
  const { first, last } = monthBounds(month)
  const fired: Alert[] = []
  // Widest UTC window over the stations' zones, then each alert checked against its own station's month.
  const bounds = new Map(stations.map((s) => [s.id, { start: localDayOf(first, s.timezone).start, end: localDayOf(last, s.timezone).end }]))
  if (bounds.size === 0) return { fired: 0, acknowledged: 0, medianMinutesToAck: null, byRule: [] }
  const from = Math.min(...[...bounds.values()].map((b) => b.start))
  const to = Math.max(...[...bounds.values()].map((b) => b.end))
  const rows = await alerts.list({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), limit: Number.MAX_SAFE_INTEGER }, stations.map((s) => s.id))
  for (const a of rows) {
    const b = bounds.get(a.stationId)
    const at = a.firedAt === null ? NaN : Date.parse(a.firedAt)
    if (b !== undefined && at >= b.start && at < b.end) fired.push(a)
  }
  const groups = new Map<string, Alert[]>()
  for (const a of fired) {
    const k = `${a.rule}\u0000${a.severity}`
    let g = groups.get(k)
    if (g === undefined) groups.set(k, g = [])
    g.push(a)
  }
  const ackMs = (as: Alert[]) => as.filter((a) => a.acknowledgedAt !== null).map((a) => Date.parse(a.acknowledgedAt!) - Date.parse(a.firedAt!))
  const byRule = [...groups.values()].map((g) => ({
    rule: g[0]!.rule, severity: g[0]!.severity, fired: g.length, acknowledged: ackMs(g).length, medianMinutesToAck: minutes(ackMs(g))
  })).sort((a, b) => b.fired - a.fired || a.rule.localeCompare(b.rule) || a.severity.localeCompare(b.severity))
  return { fired: fired.length, acknowledged: ackMs(fired).length, medianMinutesToAck: minutes(ackMs(fired)), byRule }
}

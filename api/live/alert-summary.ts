// The open alerts of each station as the live state carries them: counts by severity and the
// most severe one (the badge on the fleet table and map, the band on the wall). Read from the
// registry's alert table on every poll of the live store: the evaluator (in the ingest process)
// and operators (ack/resolve over the API or the CLI, possibly in another process) all write
// there, so reading it catches every transition wherever it happened, within one poll.
import type { Alert } from '../../alerts/schemas.ts'
import type { LiveAlerts } from './schemas.ts'

export const NO_ALERTS: LiveAlerts = { critical: 0, warning: 0, info: 0, pending: 0, unacknowledged: 0, top: null }

const RANK = { critical: 0, warning: 1, info: 2 } as const

/**
 * Pending alerts are only counted (`pending`): they have not fired (their pending period may
 * still cancel them), so they are in no severity count and never the badge's or band's `top`;
 * the count is there so that a new pending alert changes the live state, which is what makes
 * the alert inbox refetch (web/src/components/alerts/useAlertChanges.ts).
 */
export function summarizeAlerts (open: readonly Alert[]): Map<string, LiveAlerts> {
  const by = new Map<string, { s: LiveAlerts, top: Alert | null }>()
  for (const a of open) {
    if (a.state === 'resolved') continue
    let e = by.get(a.stationId)
    if (e === undefined) by.set(a.stationId, e = { s: { ...NO_ALERTS }, top: null })
    if (a.state === 'pending') { e.s.pending++; continue }
    e.s[a.severity]++
    if (a.state === 'firing') e.s.unacknowledged++
    // Most severe first; among equals the unacknowledged, then the oldest.
    if (e.top === null || better(a, e.top)) e.top = a
  }
  const out = new Map<string, LiveAlerts>()
  for (const [id, { s, top }] of by) {
    out.set(id, { ...s, top: top && { id: top.id, rule: top.rule, subject: top.subject, severity: top.severity, state: top.state as 'firing' | 'acknowledged', summary: top.summary, value: top.value, threshold: top.threshold, since: top.firedAt ?? top.pendingSince } })
  }
  return out
}

function better (a: Alert, b: Alert): boolean {
  if (RANK[a.severity] !== RANK[b.severity]) return RANK[a.severity] < RANK[b.severity]
  if (a.state !== b.state) return a.state === 'firing'
  return (a.firedAt ?? a.pendingSince) < (b.firedAt ?? b.pendingSince)
}

/** A key that changes whenever what the live state shows changes. */
export const alertsKey = (s: LiveAlerts): string => JSON.stringify(s)

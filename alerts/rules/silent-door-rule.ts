import { HOUR_MS, type EntryHistory } from '../entry-history.ts'
import { CLEAR, FIRE, UNKNOWN, type Verdict } from '../lifecycle.ts'
import type { RuleFamily } from './rule-context.ts'

// 8. silent_door: no granted entry for so long that, from the same hours of the last 4 weeks,
//    `threshold` entries were expected (default ln 100 = 4.6: under Poisson, silence that long has
//    less than 1 % chance): a broken door or counter rather than a quiet day. Hours that are
//    normally empty expect nothing, so nights and closed hours never fire. Clear: an entry (the
//    silent stretch starts again). Unknown while no door device is up (station_offline's case),
//    without 2 weeks of learning, or before the first entry this process saw (after a restart
//    the stretch counts from the start, so a firing alert waits for an entry to resolve).
export function silentDoorRule (history: EntryHistory, startedAt: number): RuleFamily {
  return (s, ctx) => {
    const rule = ctx.settings('silent_door')
    if (!rule.enabled) return
    const offlineMs = ctx.settings('station_offline').threshold * 1000
    let doorUp = false
    for (const d of s.devices.values()) {
      const seen = Math.max(d.lastEventAt, d.presenceSeenAt)
      if (d.kind === 'door' && !d.willOffline && ctx.now - seen < offlineMs) { doorUp = true; ctx.due(seen + offlineMs); break }
    }
    const since = Math.max(s.lastEntryAt, startedAt)
    const expected = doorUp ? history.expected(s.id, since, ctx.now) : null
    let v: Verdict = UNKNOWN
    if (expected !== null && expected >= rule.threshold) v = FIRE
    else if (doorUp && s.lastEntryAt !== 0) v = CLEAR
    if (doorUp) {
      // The expectation grows at this hour's rate until the hour ends (then the hours it covers
      // and their rates change): due when it would reach the threshold (from 0 when the stretch
      // only just started), a second early, or at the next hour.
      const hourEnd = (Math.floor(ctx.now / HOUR_MS) + 1) * HOUR_MS
      const rate = history.rate(s.id, ctx.now)
      const reach = v !== FIRE && rate !== null && rate > 0 ? ctx.now + Math.floor((rule.threshold - (expected ?? 0)) / rate * HOUR_MS) - 1000 : hourEnd
      ctx.due(Math.min(hourEnd, reach))
    }
    const silentMin = Math.round((ctx.now - since) / 60_000)
    ctx.emit('silent_door', '', v, expected === null ? null : Math.round(expected * 10) / 10, rule.threshold,
      () => `no entry for ${silentMin} min at an hour that usually has them (${(expected ?? 0).toFixed(1)} expected)`)
  }
}

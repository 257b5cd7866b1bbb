import { CLEAR, FIRE, UNKNOWN, type Verdict } from '../lifecycle.ts'
import type { RuleFamily } from './rule-context.ts'

// 1. station_offline, per device: no message or keep-alive for `threshold` seconds, or its will
//    (status `offline`) arrived. Clear: seen again within the threshold.
// 9. data_gap, per periodic device (sensors, hub): connected and sending keep-alives, but no
//    stored event for `threshold` seconds (a stuck sensor or firmware loop).
const PERIODIC = new Set(['sensors', 'hub'])

export const presenceRules: RuleFamily = (s, ctx) => {
  const offline = ctx.settings('station_offline')
  const gap = ctx.settings('data_gap')
  for (const [id, d] of s.devices) {
    const seen = Math.max(d.lastEventAt, d.presenceSeenAt)
    // Seen within the threshold until then: offline, and (below) no longer live for data_gap.
    if (seen !== 0 && ctx.now - seen < offline.threshold * 1000) ctx.due(seen + offline.threshold * 1000)
    let v: Verdict = UNKNOWN
    if (d.willOffline) v = FIRE
    else if (seen !== 0) v = ctx.now - seen >= offline.threshold * 1000 ? FIRE : CLEAR
    const silentS = seen === 0 ? null : Math.round((ctx.now - seen) / 1000)
    ctx.emit('station_offline', id, v, silentS, offline.threshold, () => d.willOffline
      ? `device ${id} went offline (its last will arrived)`
      : `device ${id} silent for ${Math.round((silentS ?? 0) / 60)} min`)

    if (!PERIODIC.has(d.kind)) continue
    let g: Verdict = UNKNOWN
    const live = d.connected && !d.willOffline && ctx.now - seen < offline.threshold * 1000
    if (d.lastEventAt !== 0) {
      const quiet = ctx.now - d.lastEventAt
      if (quiet < gap.threshold * 1000) ctx.due(d.lastEventAt + gap.threshold * 1000)
      g = quiet < gap.threshold * 1000 ? CLEAR : live ? FIRE : UNKNOWN
    }
    ctx.emit('data_gap', id, g, d.lastEventAt === 0 ? null : Math.round((ctx.now - d.lastEventAt) / 1000), gap.threshold,
      () => `device ${id} is connected but has sent no data for ${Math.round((ctx.now - d.lastEventAt) / 60_000)} min`)
  }
}

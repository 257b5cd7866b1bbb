import { BETWEEN, CLEAR, FIRE, UNKNOWN, type Verdict } from '../lifecycle.ts'
import { fresh, staleAt, type RuleFamily } from './rule-context.ts'

// 4. equipment_fault per appliance unit (its `fault` state); energy_waste: an AC running for
//    `threshold` seconds with nobody inside.
// 5. supply_low per item: below `threshold` % of the shelf's capacity (the supplies issue will
//    add per-item thresholds); an item without a capacity says nothing.
// 6. door_held_open: the door reported held_open (door_state channel); fires after the pending
//    period, clears once the door reports closed.

export const equipmentRules: RuleFamily = (s, ctx) => {
  const now = ctx.now
  const emptyFresh = fresh(s.occupancyAt, now)
  if (emptyFresh) ctx.due(staleAt(s.occupancyAt))
  const waste = ctx.settings('energy_waste')
  for (const [key, a] of s.appliances) {
    ctx.emit('equipment_fault', key, a.state === 'fault' ? FIRE : CLEAR, null, null,
      () => `${key.replace(':', ' unit ')} reports a fault${a.fault === undefined ? '' : ` (${a.fault})`}`)
    if (!key.startsWith('ac:')) continue
    let v: Verdict = UNKNOWN
    let wastedS: number | null = null
    if (a.state !== 'on') v = CLEAR
    else if (emptyFresh) {
      if (s.emptySince === 0) v = CLEAR
      else {
        const from = Math.max(s.emptySince, a.since)
        wastedS = Math.round((now - from) / 1000)
        v = wastedS >= waste.threshold ? FIRE : BETWEEN
        // wastedS is rounded: it reaches the threshold up to half a second early.
        if (v === BETWEEN) ctx.due(from + waste.threshold * 1000 - 1000)
      }
    }
    ctx.emit('energy_waste', key, v, wastedS, waste.threshold, () => `AC ${key.slice(3)} running for ${Math.round((wastedS ?? 0) / 60)} min with nobody inside`)
  }

  const low = ctx.settings('supply_low')
  for (const [item, it] of s.supplies) {
    const pct = it.capacity === undefined ? null : it.quantity / it.capacity * 100
    const v: Verdict = pct === null ? UNKNOWN : pct < low.threshold ? FIRE : pct >= low.clearThreshold ? CLEAR : BETWEEN
    ctx.emit('supply_low', item, v, it.quantity, it.capacity === undefined ? null : Math.ceil(it.capacity * low.threshold / 100),
      () => `${item}: ${it.quantity} of ${it.capacity ?? '?'} left`)
  }

  const held = s.doorHeldOpenSince
  ctx.emit('door_held_open', '', held === 0 ? CLEAR : FIRE, held === 0 ? null : Math.round((now - held) / 1000), null,
    () => `door held open for ${Math.round((now - held) / 60_000)} min`)
}

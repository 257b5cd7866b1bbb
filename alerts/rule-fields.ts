// What each rule's `threshold` and `clearThreshold` measure, in one place: the rules read
// their settings in these units (alerts/rules/*.ts, alerts/defaults.ts), the API describes
// them (GET /alerts/rules) and the dashboard's settings view shows them next to the fields
// (web/src/components/alerts/AlertRulesSettings.vue imports this file: keep it free of
// anything but types, so the browser bundle gets only this table). `null`: the rule does not
// read that field (an equipment fault fires on the appliance's `fault` state, a held door on
// its `held_open` report; most duration rules clear as soon as the condition is gone).
// pendingS and holdOffS are seconds for every rule.
import type { Rule } from './schemas.ts'

export const THRESHOLD_UNITS = ['celsius', 'ppm', 'ugm3', 'percent_of_capacity', 'percent_of_shelf', 'seconds', 'expected_entries'] as const
export type ThresholdUnit = typeof THRESHOLD_UNITS[number]

export type RuleFields = { threshold: ThresholdUnit | null, clearThreshold: ThresholdUnit | null }

const both = (u: ThresholdUnit): RuleFields => ({ threshold: u, clearThreshold: u })
const fireOnly = (u: ThresholdUnit): RuleFields => ({ threshold: u, clearThreshold: null })
const neither: RuleFields = { threshold: null, clearThreshold: null }

export const RULE_FIELDS: Readonly<Record<Rule, RuleFields>> = {
  station_offline: fireOnly('seconds'), // silent this long; clears when the device is heard again
  temperature_high: both('celsius'),
  temperature_low: both('celsius'),
  co2_high: both('ppm'),
  pm25_high: both('ugm3'),
  over_capacity: both('percent_of_capacity'),
  equipment_fault: neither,
  energy_waste: fireOnly('seconds'), // an AC on this long with nobody inside; clears when off or occupied
  supply_low: both('percent_of_shelf'),
  door_held_open: neither, // pendingS is how long the door may stay open
  night_alone: fireOnly('seconds'),
  silent_door: fireOnly('expected_entries'), // clears with any entry
  data_gap: fireOnly('seconds')
}

/** Symbols written the same in every language (the others are words: the UI translates them). */
export const UNIT_SYMBOLS: Readonly<Partial<Record<ThresholdUnit, string>>> = { celsius: '°C', ppm: 'ppm', ugm3: 'µg/m³' }

/** "temperature_high: threshold °C, clearThreshold °C; …" for the API's description. */
export function describeRuleFields (): string {
  const name = (u: ThresholdUnit | null) => (u === null ? 'not used' : UNIT_SYMBOLS[u] ?? u.replaceAll('_', ' '))
  return (Object.entries(RULE_FIELDS) as Array<[Rule, RuleFields]>)
    .map(([rule, f]) => `\`${rule}\`: threshold ${name(f.threshold)}, clearThreshold ${name(f.clearThreshold)}`).join('; ')
}

import type { Rule, RuleOverride, RuleSettings } from './schemas.ts'

// Built-in settings, sensible for a 20 m² station with one door, one sensor hub and a shelf.
// Overridden per fleet, district and station (alert_settings); docs/alerts.md explains each.
const ESCALATION = [{ afterS: 30 * 60, target: 'district-oncall' }, { afterS: 2 * 3600, target: 'union-office' }]
const M = 60
const H = 3600

const d = (severity: RuleSettings['severity'], threshold: number, clearThreshold: number, pendingS: number, holdOffS: number, extra: Partial<RuleSettings> = {}): RuleSettings =>
  ({ enabled: true, severity, threshold, clearThreshold, pendingS, holdOffS, escalation: ESCALATION, ...extra })

export const DEFAULT_SETTINGS: Record<Rule, RuleSettings> = {
  // threshold: seconds without a message or keep-alive; clear: seen again (clearThreshold unused).
  station_offline: d('critical', 10 * M, 0, 0, 2 * M),
  // °C while occupied: fire above 30 (comfort band max 26 + margin), clear at 28 or below.
  temperature_high: d('warning', 30, 28, 10 * M, 5 * M),
  // °C while occupied: fire below 14, clear at 16 or above.
  temperature_low: d('warning', 14, 16, 10 * M, 5 * M),
  // ppm (GB/T 18883: 1000 is the comfort limit).
  co2_high: d('warning', 1500, 1200, 10 * M, 5 * M),
  // µg/m³ (GB 3095 grade II 24 h: 75).
  pm25_high: d('warning', 75, 50, 15 * M, 10 * M),
  // % of the station's capacity: fire above 100 %, clear at 90 % or below.
  over_capacity: d('warning', 100, 90, 10 * M, 5 * M),
  // An appliance reports `fault` (thresholds unused); clear once it reports on/off for the hold-off.
  equipment_fault: d('warning', 0, 0, 1 * M, 5 * M),
  // Seconds an AC runs with nobody inside (Guangzhou switches empty rooms off after 22:00).
  energy_waste: d('info', 2 * H, 0, 0, 5 * M),
  // % of the shelf's capacity: fire below 20 %, clear at 35 % or above.
  supply_low: d('warning', 20, 35, 5 * M, 5 * M),
  // The door reports held_open: fire after 5 minutes, clear once closed for 30 s.
  door_held_open: d('warning', 0, 0, 5 * M, 30),
  // Seconds one person is inside alone at night (local 22:00-06:00): a worker who collapsed.
  night_alone: d('critical', 3 * H, 0, 0, 1 * M, { nightFrom: 22, nightTo: 6 }),
  // Expected entries in the silent stretch (from the last 4 weeks' same hour of week) before it
  // is called silent: ln(100) = 4.6 means below 1 % probability by chance (Poisson). Clear: any entry.
  silent_door: d('warning', 4.6, 0, 0, 0),
  // Seconds a connected device's stream may stop (sensors report at least every 5 minutes).
  data_gap: d('warning', 20 * M, 0, 0, 2 * M)
}

export type SettingsFacts = { stationId: string, district: string }

/** fleet < district < station overrides over the default, for one station and rule. */
export function effectiveSettings (rule: Rule, station: SettingsFacts, overrides: readonly RuleOverride[]): RuleSettings {
  let s: RuleSettings = DEFAULT_SETTINGS[rule]
  for (const scope of ['fleet', 'district', 'station'] as const) {
    const id = scope === 'fleet' ? '' : scope === 'district' ? station.district : station.stationId
    if (scope === 'district' && id === '') continue
    const o = overrides.find((x) => x.rule === rule && x.scope === scope && x.scopeId === id)
    if (o) s = { ...s, ...o.settings }
  }
  return s
}

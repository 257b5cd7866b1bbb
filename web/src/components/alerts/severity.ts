// Severity colours and order shared by the alert badge, band and inbox. White text on each
// colour passes WCAG AA contrast.
import type { Alert, Rule, Severity } from '../../api/alerts.ts'

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'warning', 'info']
export const SEVERITY_COLOURS: Record<Severity, string> = { critical: '#b3141f', warning: '#9a4a00', info: '#1f5fa8' }

// The server's lists (alerts/schemas.ts), repeated here so that no server code is bundled;
// `satisfies` keeps them in step with its types.
export const SEVERITIES = ['critical', 'warning', 'info'] as const satisfies readonly Severity[]
export const ALERT_STATES = ['pending', 'firing', 'acknowledged', 'resolved'] as const satisfies readonly Alert['state'][]
export const RULES = [
  'station_offline', 'temperature_high', 'temperature_low', 'co2_high', 'pm25_high', 'over_capacity', 'equipment_fault',
  'energy_waste', 'supply_low', 'door_held_open', 'night_alone', 'silent_door', 'data_gap'
] as const satisfies readonly Rule[]
// Every rule is listed (a type error names the one missing).
type MissingRule = Exclude<Rule, typeof RULES[number]>
export const ALL_RULES_LISTED: [MissingRule] extends [never] ? true : MissingRule = true

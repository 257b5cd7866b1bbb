import { z } from 'zod'
import { StationId } from '../contract/index.ts'

// The alert data model shared by the evaluator (alerts/evaluator.ts), the store
// (registry/alert-store.ts), the API routes, the CLI and the notifier. docs/alerts.md is the
// contract written out; these schemas are its normative form.

export const RULES = [
  'station_offline', // 1: no message or keep-alive from a device for N minutes, or its will arrived
  'temperature_high', 'temperature_low', 'co2_high', 'pm25_high', // 2: comfort while occupied
  'over_capacity', // 3
  'equipment_fault', 'energy_waste', // 4
  'supply_low', // 5
  'door_held_open', // 6
  'night_alone', // 7
  'silent_door', // 8
  'data_gap' // 9
] as const
export const Rule = z.enum(RULES)
export type Rule = z.infer<typeof Rule>

export const SEVERITIES = ['critical', 'warning', 'info'] as const
export const Severity = z.enum(SEVERITIES)
export type Severity = z.infer<typeof Severity>

// pending → firing → acknowledged → resolved; a pending alert whose condition clears before its
// pending period is over goes straight to resolved (transition `cancelled`, never notified).
export const ALERT_STATES = ['pending', 'firing', 'acknowledged', 'resolved'] as const
export const AlertState = z.enum(ALERT_STATES)
export type AlertState = z.infer<typeof AlertState>
export const OPEN_STATES: readonly AlertState[] = ['pending', 'firing', 'acknowledged']

export const TRANSITION_KINDS = ['pending', 'cancelled', 'fired', 'acknowledged', 'escalated', 'resolved'] as const
export const TransitionKind = z.enum(TRANSITION_KINDS)
export type TransitionKind = z.infer<typeof TransitionKind>

/** An escalation step: unacknowledged `afterS` seconds after firing → notify `target`. */
export const EscalationStep = z.strictObject({
  afterS: z.int().min(1).max(7 * 86_400),
  target: z.string().trim().min(1).max(100)
})
export type EscalationStep = z.infer<typeof EscalationStep>

/**
 * One rule's settings. `threshold` fires, `clearThreshold` clears (hysteresis); what they mean
 * per rule is in docs/alerts.md (°C, ppm, µg/m³, % of capacity, seconds...). `pendingS`: how
 * long the condition must hold before the alert fires; `holdOffS`: how long the clear
 * condition must hold before it resolves. Night hours are local to the station.
 */
export const RuleSettings = z.strictObject({
  enabled: z.boolean(),
  severity: Severity,
  threshold: z.number().min(-1e6).max(1e9),
  clearThreshold: z.number().min(-1e6).max(1e9),
  pendingS: z.int().min(0).max(7 * 86_400),
  holdOffS: z.int().min(0).max(7 * 86_400),
  escalation: z.array(EscalationStep).max(5),
  nightFrom: z.int().min(0).max(23).optional(),
  nightTo: z.int().min(0).max(23).optional()
})
export type RuleSettings = z.infer<typeof RuleSettings>

/** An override: any subset of a rule's settings, at fleet, district or station level. */
export const RuleSettingsPatch = RuleSettings.partial()
export type RuleSettingsPatch = z.infer<typeof RuleSettingsPatch>

export const SETTINGS_SCOPES = ['fleet', 'district', 'station'] as const
export const SettingsScope = z.enum(SETTINGS_SCOPES)
export type SettingsScope = z.infer<typeof SettingsScope>

export const RuleOverride = z.object({
  scope: SettingsScope,
  scopeId: z.string(), // '' for fleet
  rule: Rule,
  settings: RuleSettingsPatch,
  updatedAt: z.string(),
  updatedBy: z.string()
})
export type RuleOverride = z.infer<typeof RuleOverride>

export const Alert = z.object({
  id: z.int(),
  stationId: StationId,
  district: z.string(),
  rule: Rule,
  // The device, supply item or appliance unit the alert is about; '' for the station itself.
  subject: z.string(),
  severity: Severity,
  state: AlertState,
  summary: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  pendingSince: z.string(),
  firedAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  clearingSince: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  escalationLevel: z.int(),
  updatedAt: z.string()
})
export type Alert = z.infer<typeof Alert>

export const AlertTransition = z.object({
  id: z.int(),
  alertId: z.int(),
  at: z.string(),
  kind: TransitionKind,
  fromState: AlertState.nullable(),
  toState: AlertState,
  actor: z.string(),
  note: z.string().nullable(),
  stationId: z.string(),
  district: z.string(),
  rule: Rule,
  subject: z.string(),
  severity: Severity,
  escalationLevel: z.int(),
  target: z.string().nullable(),
  // 1: the notifier must deliver it (fired, escalated, acknowledged and resolved of an alert that
  // fired); pending and cancelled are history only.
  notify: z.boolean()
})
export type AlertTransition = z.infer<typeof AlertTransition>

export const AlertWithHistory = Alert.extend({ history: z.array(AlertTransition) })

export const Silence = z.object({
  id: z.int(),
  scope: z.enum(['station', 'district']),
  scopeId: z.string(),
  rule: Rule.nullable(), // null: every rule
  startsAt: z.string(),
  endsAt: z.string(),
  reason: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  endedBy: z.string().nullable()
})
export type Silence = z.infer<typeof Silence>

export const NewSilence = z.strictObject({
  scope: z.enum(['station', 'district']),
  scopeId: z.string().trim().min(1).max(100),
  rule: Rule.optional(),
  startsAt: z.iso.datetime({ offset: true }).optional(),
  endsAt: z.iso.datetime({ offset: true }),
  reason: z.string().trim().min(1).max(500)
})
export type NewSilence = z.infer<typeof NewSilence>

export const OperatorNote = z.strictObject({ note: z.string().trim().min(1).max(1000) })

export const AlertQuery = z.strictObject({
  state: z.union([AlertState, z.literal('open')]).optional(),
  station: StationId.optional(),
  district: z.string().max(100).optional(),
  rule: Rule.optional(),
  severity: Severity.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(1).optional()
})
export type AlertQuery = z.infer<typeof AlertQuery>

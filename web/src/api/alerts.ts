// Typed functions for the alert routes (docs/alerts.md): the inbox and its actions, rule
// settings, silences and webhooks. Types come from the server's zod schemas (type-only).
import type { Alert, AlertQuery, AlertTransition, NewSilence, Rule, RuleOverride, RuleSettings, RuleSettingsPatch, Severity, Silence, SettingsScope } from '../../../alerts/schemas.ts'
import type { NewWebhook, Webhook } from '../../../alerts/notify/schemas.ts'
import type { LiveAlerts } from '../../../api/live/schemas.ts'
import type { Http, Query } from './http.ts'

export type { Alert, AlertTransition, LiveAlerts, Rule, RuleOverride, RuleSettings, RuleSettingsPatch, Severity, Silence, SettingsScope, Webhook }
export type AlertWithHistory = Alert & { history: AlertTransition[] }
export type AlertFilter = Partial<Pick<AlertQuery, 'state' | 'station' | 'district' | 'severity' | 'rule' | 'limit'>>
export type EffectiveRules = { rules: Record<Rule, RuleSettings>, overrides: RuleOverride[] }
export type WebhookInput = Partial<NewWebhook> & { name: string, url: string }

const enc = encodeURIComponent

export function alertsApi (http: Http) {
  const scopeQuery = (scope: SettingsScope, id: string): Query => (scope === 'fleet' ? { scope } : { scope, id })
  return {
    list: (f: AlertFilter) => http.get<{ alerts: Alert[] }>('/alerts', { query: f as Query }),
    get: (id: number) => http.get<AlertWithHistory>(`/alerts/${id}`),
    ack: (id: number, note: string) => http.post<Alert>(`/alerts/${id}/ack`, { body: { note } }),
    resolve: (id: number, note: string) => http.post<Alert>(`/alerts/${id}/resolve`, { body: { note } }),
    rules: (scope: SettingsScope, id: string) => http.get<EffectiveRules>('/alerts/rules', { query: scopeQuery(scope, id) }),
    setRule: (scope: SettingsScope, id: string, rule: Rule, patch: RuleSettingsPatch) =>
      http.patch<RuleOverride | null>(`/alerts/rules/${enc(rule)}`, { query: scopeQuery(scope, id), body: patch }),
    silences: () => http.get<{ silences: Silence[] }>('/alerts/silences'),
    addSilence: (s: NewSilence) => http.post<Silence>('/alerts/silences', { body: s }),
    endSilence: (id: number) => http.post<Silence>(`/alerts/silences/${id}/end`),
    webhooks: () => http.get<{ webhooks: Webhook[] }>('/webhooks'),
    addWebhook: (w: WebhookInput) => http.post<{ webhook: Webhook, secret: string }>('/webhooks', { body: w }),
    removeWebhook: (id: number) => http.del<void>(`/webhooks/${id}`)
  }
}

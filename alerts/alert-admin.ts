import type { Registry } from '../registry/open-registry.ts'
import { invalid, RegistryError } from '../registry/registry-error.ts'
import { DEFAULT_SETTINGS, effectiveSettings } from './defaults.ts'
import { RuleSettings, type NewSilence, type Rule, type RuleSettingsPatch, type SettingsScope } from './schemas.ts'

/**
 * Operator and admin changes to alerts, shared by the API and the CLI: acknowledge and
 * resolve are recorded in the alert's history with the actor; settings and silences are
 * audited like every admin change (registry/admin.ts).
 */
export function createAlertAdmin (registry: Registry, clock: () => number = Date.now) {
  const now = () => new Date(clock()).toISOString()
  const audit = registry.audit.append

  async function checkScope (scope: SettingsScope, scopeId: string): Promise<void> {
    if (scope === 'fleet' && scopeId !== '') throw new RegistryError('invalid', 'fleet settings take no id')
    if (scope !== 'fleet' && scopeId === '') throw new RegistryError('invalid', `${scope} settings need an id`)
    if (scope === 'station' && !await registry.getStation(scopeId)) throw new RegistryError('not_found', `station ${scopeId} not found`)
    if (scope === 'district' && (await registry.stations.list({ district: scopeId })).length === 0) throw new RegistryError('not_found', `district ${scopeId} not found`)
  }

  /** A patch merged into the override already at that level. */
  async function mergedPatch (scope: SettingsScope, scopeId: string, rule: Rule, patch: RuleSettingsPatch): Promise<RuleSettingsPatch> {
    return { ...(await registry.alertSettings.override(scope, scopeId, rule))?.settings, ...patch }
  }

  async function alertOrThrow (id: number) {
    const a = await registry.alerts.get(id)
    if (!a) throw new RegistryError('not_found', `alert ${id} not found`)
    return a
  }

  return {
    async acknowledge (actor: string, id: number, note: string) {
      const a = await alertOrThrow(id)
      const after = await registry.alerts.acknowledge(id, now(), actor, note)
      if (!after) throw new RegistryError('conflict', `alert ${id} is ${a.state}: only a firing alert can be acknowledged`)
      return after
    },

    async resolve (actor: string, id: number, note: string) {
      const a = await alertOrThrow(id)
      const after = await registry.alerts.resolve(id, now(), actor, note)
      if (!after) throw new RegistryError('conflict', `alert ${id} is ${a.state}: only a firing or acknowledged alert can be resolved`)
      return after
    },

    /** The settings in force for a station (or a district, or the fleet) and the overrides behind them. */
    async effective (scope: SettingsScope, scopeId: string) {
      await checkScope(scope, scopeId)
      const overrides = await registry.alertSettings.overrides()
      const facts = scope === 'station'
        ? { stationId: scopeId, district: (await registry.getStation(scopeId))?.district ?? '' }
        : { stationId: '', district: scope === 'district' ? scopeId : '' }
      const rules = Object.fromEntries((Object.keys(DEFAULT_SETTINGS) as Rule[]).map((r) => [r, effectiveSettings(r, facts, overrides)])) as Record<Rule, RuleSettings>
      return { rules, overrides }
    },

    async setRule (actor: string, scope: SettingsScope, scopeId: string, rule: Rule, patch: RuleSettingsPatch) {
      await checkScope(scope, scopeId)
      const district = scope === 'station' ? (await registry.getStation(scopeId))?.district ?? '' : scope === 'district' ? scopeId : ''
      // The merged result must still be a whole, valid rule (e.g. a clear threshold on the right side).
      patch = await mergedPatch(scope, scopeId, rule, patch)
      const parsed = RuleSettings.safeParse({ ...effectiveSettings(rule, { stationId: scope === 'station' ? scopeId : '', district }, await registry.alertSettings.overrides()), ...patch })
      if (!parsed.success) throw invalid(parsed.error)
      const merged = parsed.data
      if (merged.nightFrom === undefined !== (merged.nightTo === undefined)) throw new RegistryError('invalid', 'nightFrom and nightTo go together')
      const r = await registry.alertSettings.setOverride(scope, scopeId, rule, patch, actor, now())
      await audit({ actor, action: 'alert_rule.update', target: `alert_rule:${rule}`, before: r.before, after: r.after })
      return r.after
    },

    /** Removes one level's override of a rule (the level below applies again). */
    async resetRule (actor: string, scope: SettingsScope, scopeId: string, rule: Rule) {
      await checkScope(scope, scopeId)
      const r = await registry.alertSettings.setOverride(scope, scopeId, rule, {}, actor, now())
      if (r.before === null) throw new RegistryError('not_found', `no ${scope} override of ${rule}${scopeId ? ` for ${scopeId}` : ''}`)
      await audit({ actor, action: 'alert_rule.update', target: `alert_rule:${rule}`, before: r.before, after: null })
      return r.before
    },

    async addSilence (actor: string, input: NewSilence) {
      if (input.scope === 'station' && !await registry.getStation(input.scopeId)) throw new RegistryError('not_found', `station ${input.scopeId} not found`)
      const at = now()
      if (Date.parse(input.endsAt) <= clock()) throw new RegistryError('invalid', 'endsAt must be in the future')
      const silence = await registry.alertSettings.addSilence(input, actor, at)
      await audit({ actor, action: 'alert_silence.create', target: `alert_silence:${silence.id}`, after: silence })
      return silence
    },

    async endSilence (actor: string, id: number) {
      const r = await registry.alertSettings.endSilence(id, actor, now())
      if (!r) throw new RegistryError('not_found', `silence ${id} not found or already ended`)
      await audit({ actor, action: 'alert_silence.end', target: `alert_silence:${id}`, before: r.before, after: r.after })
      return r.after
    }
  }
}

export type AlertAdmin = ReturnType<typeof createAlertAdmin>

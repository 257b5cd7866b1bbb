// `waystation alerts …`: the alert inbox, acknowledgements, resolutions, silences and rule
// settings from the server's shell. Same code path as the API (alerts/alert-admin.ts): ack and
// resolve are in the alert's history, settings and silences in the audit log, as `cli:<os user>`.
import { createAlertAdmin } from '../../alerts/alert-admin.ts'
import { AlertQuery, NewSilence, RULES, Rule, RuleSettingsPatch, SEVERITIES, type Alert, type SettingsScope } from '../../alerts/schemas.ts'
import type { Config } from '../../platform/config.ts'
import { invalid, RegistryError } from '../../registry/registry-error.ts'
import { num, parse, printJson, printRows, required, runRegistryCommand, UsageError } from './cli-support.ts'

export const ALERTS_USAGE = `usage:
  waystation alerts list [--state open|pending|firing|acknowledged|resolved] [--station ID] [--district D]
      [--rule RULE] [--severity ${SEVERITIES.join('|')}] [--from ISO] [--to ISO] [--limit N] [--json]
  waystation alerts show ALERT_ID [--json]                 the alert and its history
  waystation alerts ack ALERT_ID --note TEXT               acknowledge a firing alert
  waystation alerts resolve ALERT_ID --note TEXT           resolve by hand (the rule reopens it if the condition holds)
  waystation alerts silence (--station ID | --district D) [--rule RULE] [--from ISO] (--until ISO | --for 90m) --reason TEXT
  waystation alerts silences [--json]                      silences active now or later
  waystation alerts unsilence SILENCE_ID                   end a silence now
  waystation alerts rules [--fleet | --district D | --station ID] [--json]   settings in force and the overrides
  waystation alerts rules set RULE (--fleet | --district D | --station ID) [--enabled true|false] [--severity S]
      [--threshold N] [--clear-threshold N] [--pending SECONDS] [--hold-off SECONDS]
      [--escalation SECONDS:TARGET,…|none] [--night-from H --night-to H]
  waystation alerts rules reset RULE (--fleet | --district D | --station ID)   remove that level's override

  Rules: ${RULES.join(', ')} (docs/alerts.md).`

const SCOPE_OPTIONS = { fleet: { type: 'boolean' }, district: { type: 'string' }, station: { type: 'string' } } as const

/** Exactly one of --fleet, --district, --station (none: the fleet, when `optional`). */
function settingsScope (v: { fleet?: boolean, district?: string, station?: string }, optional: boolean): { scope: SettingsScope, id: string } {
  const given = [v.fleet ? 'fleet' : null, v.district !== undefined ? 'district' : null, v.station !== undefined ? 'station' : null].filter((x) => x !== null)
  if (given.length > 1 || (given.length === 0 && !optional)) throw new UsageError('give one of --fleet, --district D, --station ID')
  if (v.station !== undefined) return { scope: 'station', id: v.station }
  if (v.district !== undefined) return { scope: 'district', id: v.district }
  return { scope: 'fleet', id: '' }
}

const id = (v: string | undefined, name: string): number => {
  const s = required(v, name)
  if (!/^[1-9]\d{0,15}$/.test(s)) throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(s)}`)
  return Number(s)
}

/** `90m`, `2h`, `1d`, `45s` → milliseconds. */
function duration (v: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(v.trim())
  if (!m) throw new RegistryError('invalid', `--for must be a duration like 45s, 90m, 2h or 1d, got ${JSON.stringify(v)}`)
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd']
}

function rule (v: string | undefined): Rule {
  const r = Rule.safeParse(required(v, 'RULE'))
  if (!r.success) throw new RegistryError('invalid', `unknown rule ${JSON.stringify(v)}; rules: ${RULES.join(', ')}`)
  return r.data
}

/** The options of `rules set` as a settings patch, validated by the API's own schema. */
function settingsPatch (v: Record<string, string | boolean | undefined>) {
  const bool = (s: string | undefined, name: string) => {
    if (s === undefined) return undefined
    if (s !== 'true' && s !== 'false') throw new RegistryError('invalid', `--${name} must be true or false`)
    return s === 'true'
  }
  const str = (k: string) => v[k] as string | undefined
  const escalation = str('escalation') === undefined
    ? undefined
    : str('escalation') === 'none'
      ? []
      : str('escalation')!.split(',').map((step) => {
        const [afterS, ...target] = step.split(':')
        return { afterS: num(afterS, 'escalation'), target: target.join(':') }
      })
  const raw = {
    enabled: bool(str('enabled'), 'enabled'),
    severity: str('severity'),
    threshold: num(str('threshold'), 'threshold'),
    clearThreshold: num(str('clear-threshold'), 'clear-threshold'),
    pendingS: num(str('pending'), 'pending'),
    holdOffS: num(str('hold-off'), 'hold-off'),
    escalation,
    nightFrom: num(str('night-from'), 'night-from'),
    nightTo: num(str('night-to'), 'night-to')
  }
  const parsed = RuleSettingsPatch.safeParse(Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined)))
  if (!parsed.success) throw invalid(parsed.error)
  if (Object.keys(parsed.data).length === 0) throw new UsageError('rules set: which setting? (--threshold, --pending, …)')
  return parsed.data
}

const row = (a: Alert) => ({ id: a.id, station: a.stationId, rule: a.rule, subject: a.subject, severity: a.severity, state: a.state, since: a.firedAt ?? a.pendingSince, summary: a.summary.slice(0, 60) })

export function alertsCommand (config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv
  return runRegistryCommand(config, ALERTS_USAGE, async ({ registry, actor }) => {
    const admin = createAlertAdmin(registry)
    switch (sub) {
      case 'list': {
        const { values: v } = parse(args, {
          state: { type: 'string' }, station: { type: 'string' }, district: { type: 'string' }, rule: { type: 'string' }, severity: { type: 'string' },
          from: { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }
        })
        const { json, ...filters } = v
        const q = AlertQuery.safeParse(Object.fromEntries(Object.entries(filters).filter(([, x]) => x !== undefined)))
        if (!q.success) throw invalid(q.error)
        printRows(registry.alerts.list(q.data), json, row)
        return 0
      }
      case 'show': {
        const { positionals } = parse(args, { json: { type: 'boolean' } }, 1)
        const n = id(positionals[0], 'ALERT_ID')
        const a = registry.alerts.get(n)
        if (!a) throw new RegistryError('not_found', `alert ${n} not found`)
        printJson({ ...a, history: registry.alerts.history(n) })
        return 0
      }
      case 'ack':
      case 'resolve': {
        const { values, positionals } = parse(args, { note: { type: 'string' } }, 1)
        const n = id(positionals[0], 'ALERT_ID')
        const note = required(values.note?.trim(), '--note')
        printJson(sub === 'ack' ? admin.acknowledge(actor, n, note) : admin.resolve(actor, n, note))
        return 0
      }
      case 'silence': {
        const { values: v } = parse(args, { station: { type: 'string' }, district: { type: 'string' }, rule: { type: 'string' }, from: { type: 'string' }, until: { type: 'string' }, for: { type: 'string' }, reason: { type: 'string' } })
        if ((v.station === undefined) === (v.district === undefined)) throw new UsageError('give one of --station ID or --district D')
        if ((v.until === undefined) === (v.for === undefined)) throw new UsageError('give one of --until ISO or --for DURATION')
        const start = v.from === undefined ? Date.now() : Date.parse(v.from)
        const input = NewSilence.safeParse({
          scope: v.station !== undefined ? 'station' : 'district',
          scopeId: v.station ?? v.district,
          ...(v.rule !== undefined ? { rule: v.rule } : {}),
          ...(v.from !== undefined ? { startsAt: v.from } : {}),
          endsAt: v.until ?? new Date((Number.isNaN(start) ? Date.now() : start) + duration(v.for!)).toISOString(),
          reason: required(v.reason, '--reason')
        })
        if (!input.success) throw invalid(input.error)
        printJson(await admin.addSilence(actor, input.data))
        return 0
      }
      case 'silences': {
        const { values } = parse(args, { json: { type: 'boolean' } })
        printRows(registry.alertSettings.currentSilences(new Date().toISOString()), values.json)
        return 0
      }
      case 'unsilence': {
        const { positionals } = parse(args, {}, 1)
        printJson(await admin.endSilence(actor, id(positionals[0], 'SILENCE_ID')))
        return 0
      }
      case 'rules': {
        const { values: v, positionals } = parse(args, {
          ...SCOPE_OPTIONS, json: { type: 'boolean' }, enabled: { type: 'string' }, severity: { type: 'string' }, threshold: { type: 'string' },
          'clear-threshold': { type: 'string' }, pending: { type: 'string' }, 'hold-off': { type: 'string' }, escalation: { type: 'string' },
          'night-from': { type: 'string' }, 'night-to': { type: 'string' }
        }, 2)
        const [action, ruleName] = positionals
        if (action === undefined) {
          const s = settingsScope(v, true)
          const { rules, overrides } = await admin.effective(s.scope, s.id)
          if (v.json) printJson({ rules, overrides })
          else printRows(Object.entries(rules).map(([r, x]) => ({ rule: r, ...x, escalation: x.escalation.map((e) => `${e.afterS}s:${e.target}`).join(',') })), false)
          return 0
        }
        const s = settingsScope(v, false)
        if (action === 'set') {
          printJson(await admin.setRule(actor, s.scope, s.id, rule(ruleName), settingsPatch(v)))
          return 0
        }
        if (action === 'reset') {
          printJson({ removed: await admin.resetRule(actor, s.scope, s.id, rule(ruleName)) })
          return 0
        }
        throw new UsageError(`unknown alerts rules command ${JSON.stringify(action)}`)
      }
      default:
        throw new UsageError(sub ? `unknown alerts command ${JSON.stringify(sub)}` : 'alerts: which command?')
    }
  })
}

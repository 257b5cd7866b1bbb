// Alert rule settings (admin) and silences (operator): docs/alerts.md. Both audited.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { AlertAdmin } from '../../alerts/alert-admin.ts'
import { describeRuleFields } from '../../alerts/rule-fields.ts'
import { NewSilence, Rule, RuleOverride, RuleSettings, RuleSettingsPatch, SettingsScope, Silence } from '../../alerts/schemas.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { actorOf } from '../auth/roles.ts'
import { callerScope } from '../auth/station-access.ts'
import { stationInScope } from '../auth/station-scope.ts'
import { errorResponses, httpError } from '../errors.ts'

export type AlertSettingsRouteOptions = { registry: Registry, alertAdmin: AlertAdmin }

const ScopeQuery = z.object({
  scope: SettingsScope.default('fleet').describe('fleet, district or station'),
  id: z.string().max(100).default('').describe('the district or station id ("" for fleet)')
})

const Effective = z.object({ rules: z.record(Rule, RuleSettings), overrides: z.array(RuleOverride) })

export const alertSettingsRoute: FastifyPluginAsyncZod<AlertSettingsRouteOptions> = async (app, { registry, alertAdmin }) => {
  const districtOf = async (id: string): Promise<string> => (await registry.getStation(id))?.district ?? ''
  app.get('/alerts/rules', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Alert rule settings in force (admin)',
      description: 'Built-in defaults overridden per fleet, district and station; `scope`/`id` pick whose settings to show. ' +
        `Units (alerts/rule-fields.ts; pendingS and holdOffS are seconds): ${describeRuleFields()}.`,
      tags: ['alerts'],
      querystring: ScopeQuery,
      response: { 200: Effective, ...errorResponses }
    }
  }, async (request) => alertAdmin.effective(request.query.scope, request.query.id))

  app.patch('/alerts/rules/:rule', {
    config: { auth: 'admin' },
    schema: {
      summary: 'Override a rule\'s settings for the fleet, a district or a station (admin)',
      description: 'The given settings are merged into the override at that level; the result must be a valid rule. Audited.',
      tags: ['alerts'],
      params: z.object({ rule: Rule }),
      querystring: ScopeQuery,
      body: RuleSettingsPatch,
      response: { 200: RuleOverride.nullable(), ...errorResponses }
    }
  }, async (request) => alertAdmin.setRule(actorOf(request), request.query.scope, request.query.id, request.params.rule, request.body))

  app.get('/alerts/silences', {
    schema: {
      summary: 'Silences active now or later',
      tags: ['alerts'],
      response: { 200: z.object({ silences: z.array(Silence) }), ...errorResponses }
    }
  }, async (request) => {
    const scope = callerScope(request)
    const all = await registry.alertSettings.currentSilences(new Date().toISOString())
    if (scope.kind === 'all') return { silences: all }
    const districts = new Map<string, string>()
    for (const s of all) if (s.scope === 'station' && !districts.has(s.scopeId)) districts.set(s.scopeId, await districtOf(s.scopeId))
    return { silences: all.filter((s) => s.scope === 'district' ? scope.kind === 'district' && scope.district === s.scopeId : stationInScope(scope, { id: s.scopeId, district: districts.get(s.scopeId) ?? '' })) }
  })

  app.post('/alerts/silences', {
    config: { auth: 'operator' },
    schema: {
      summary: 'Silence a station or district until a time (operator)',
      description: 'Rules still evaluate and alerts are recorded; notifications are held until the silence ends. Audited.',
      tags: ['alerts'],
      body: NewSilence,
      response: { 201: Silence, ...errorResponses }
    }
  }, async (request, reply) => {
    const scope = callerScope(request)
    const b = request.body
    const allowed = scope.kind === 'all' || (b.scope === 'district'
      ? scope.kind === 'district' && scope.district === b.scopeId
      : stationInScope(scope, { id: b.scopeId, district: await districtOf(b.scopeId) }))
    if (!allowed) throw httpError(404, `${b.scope} ${b.scopeId} not found`)
    return reply.code(201).send(await alertAdmin.addSilence(actorOf(request), b))
  })

  app.post('/alerts/silences/:id/end', {
    config: { auth: 'operator' },
    schema: {
      summary: 'End a silence now (operator)',
      tags: ['alerts'],
      params: z.object({ id: z.string().regex(/^[1-9]\d{0,15}$/).transform(Number) }),
      response: { 200: Silence, ...errorResponses }
    }
  }, async (request) => {
    const s = await registry.alertSettings.silence(request.params.id)
    const scope = callerScope(request)
    const allowed = s !== null && (scope.kind === 'all' || (s.scope === 'district'
      ? scope.kind === 'district' && scope.district === s.scopeId
      : stationInScope(scope, { id: s.scopeId, district: await districtOf(s.scopeId) })))
    if (!allowed) throw httpError(404, `silence ${request.params.id} not found`)
    return await alertAdmin.endSilence(actorOf(request), request.params.id)
  })
}

// Alerts (docs/alerts.md): list and read (viewer), acknowledge and resolve (operator). A
// scoped token sees the alerts of its stations only; any other alert is a 404, as if it did
// not exist.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FastifyRequest } from 'fastify'
import type { AlertAdmin } from '../../alerts/alert-admin.ts'
import { Alert, AlertQuery, AlertWithHistory, OperatorNote } from '../../alerts/schemas.ts'
import type { Registry } from '../../registry/open-registry.ts'
import { actorOf } from '../auth/roles.ts'
import { callerScope, visibleStations } from '../auth/station-access.ts'
import { stationInScope } from '../auth/station-scope.ts'
import { errorResponses, httpError } from '../errors.ts'

export type AlertsRouteOptions = { registry: Registry, alertAdmin: AlertAdmin }

const Id = z.object({ id: z.string().regex(/^[1-9]\d{0,15}$/, 'id: a positive integer').transform(Number) })

const example = {
  id: 57, stationId: 'sz-futian-001', district: 'futian', rule: 'temperature_high', subject: '', severity: 'warning', state: 'firing',
  summary: '31.5 °C inside while occupied (limit 30 °C)', value: 31.5, threshold: 30, pendingSince: '2026-03-02T13:55:00.000Z',
  firedAt: '2026-03-02T14:05:00.000Z', acknowledgedAt: null, acknowledgedBy: null, clearingSince: null, resolvedAt: null, resolvedBy: null,
  escalationLevel: 0, updatedAt: '2026-03-02T14:05:00.000Z'
}

export const alertsRoute: FastifyPluginAsyncZod<AlertsRouteOptions> = async (app, { registry, alertAdmin }) => {
  /** The alert if the caller may see it; otherwise the same 404 as for no alert. */
  async function visible (request: FastifyRequest, id: number) {
    const a = await registry.alerts.get(id)
    const scope = callerScope(request)
    if (!a || (scope.kind !== 'all' && !stationInScope(scope, { id: a.stationId, district: (await registry.getStation(a.stationId))?.district ?? '' }))) {
      throw httpError(404, `alert ${id} not found`)
    }
    return a
  }

  app.get('/alerts', {
    schema: {
      summary: 'Alerts, newest first',
      description: 'Filters: `state` (or `open` for pending, firing and acknowledged), station, district, rule, severity, and a time range ' +
        '(`from`/`to`: alerts open at some point in it). Paged by id: pass the last id seen as `before`.',
      tags: ['alerts'],
      querystring: AlertQuery,
      response: { 200: z.object({ alerts: z.array(Alert) }).meta({ example: { alerts: [example] } }), ...errorResponses }
    }
  }, async (request) => {
    const scope = callerScope(request)
    const stations = scope.kind === 'all' ? undefined : visibleStations(request, await registry.listStations()).map((s) => s.id)
    return { alerts: await registry.alerts.list(request.query, stations) }
  })

  app.get('/alerts/:id', {
    schema: {
      summary: 'One alert with its history',
      description: 'Every transition with its time, actor (`system`, `token:<id>:<name>`, `cli:<user>`) and note.',
      tags: ['alerts'],
      params: Id,
      response: { 200: AlertWithHistory, ...errorResponses }
    }
  }, async (request) => {
    const a = await visible(request, request.params.id)
    return { ...a, history: await registry.alerts.history(a.id) }
  })

  app.post('/alerts/:id/ack', {
    config: { auth: 'operator' },
    schema: {
      summary: 'Acknowledge a firing alert (operator)',
      description: 'Stops escalation; the note is kept in the history. 409 when the alert is not firing.',
      tags: ['alerts'],
      params: Id,
      body: OperatorNote,
      response: { 200: Alert, ...errorResponses }
    }
  }, async (request) => {
    await visible(request, request.params.id)
    return alertAdmin.acknowledge(actorOf(request), request.params.id, request.body.note)
  })

  app.post('/alerts/:id/resolve', {
    config: { auth: 'operator' },
    schema: {
      summary: 'Resolve an alert by hand (operator)',
      description: 'For a firing or acknowledged alert; the note is kept in the history. If the condition still holds, the rule opens a new alert.',
      tags: ['alerts'],
      params: Id,
      body: OperatorNote,
      response: { 200: Alert, ...errorResponses }
    }
  }, async (request) => {
    await visible(request, request.params.id)
    return alertAdmin.resolve(actorOf(request), request.params.id, request.body.note)
  })
}

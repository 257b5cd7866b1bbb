// GET /live, GET /stations/{id}/live and GET /live/stream: the live state of the stations a
// caller may see (its token's scope, api/auth/station-scope.ts), as JSON or pushed as
// Server-Sent Events. Viewer routes: the token comes in the Authorization header (or the
// session cookie, for a browser's EventSource), never in the URL.
import { z } from 'zod'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { FastifyRequest } from 'fastify'
import { StationId } from '../../contract/index.ts'
import type { ApiToken, StationScope } from '../../registry/schemas.ts'
import { stationInScope } from '../auth/station-scope.ts'
import { ErrorBody, errorResponses, httpError } from '../errors.ts'
import { StationParams } from '../params.ts'
import type { LiveService } from './live-service.ts'
import { toColumns } from './columns.ts'
import { FleetLive, FleetLiveColumns, FleetLiveSummary, StationLive } from './schemas.ts'
import { openSseStream, type SseStream } from './sse-stream.ts'
import { summarise } from './summary.ts'
import type { StationRec } from './station-state.ts'

export type LiveRoutesOptions = {
  live: LiveService
  /** Looks a token up again during a long-lived stream (revoked or expired: the stream ends). */
  tokens: { get (id: string): Promise<ApiToken | null> }
  /** And the session of a stream opened by cookie (signed out or expired: the stream ends). */
  sessions?: { lookupHash (idHash: string): Promise<{ state: string }> }
}

const District = z.string().trim().min(1).max(100)
const LiveQuery = z.object({
  district: District.optional().describe('Only the stations of this district (registry `district`)')
})
const Format = z.enum(['rows', 'columns']).default('rows')
const SummaryQuery = LiveQuery.extend({
  format: Format.describe('rows: FleetLiveSummary, one object per station; columns: FleetLiveColumns, one array per field (the dashboard\'s form: smaller and much faster to parse for big fleets)')
})
const StreamQuery = z.object({
  station: StationId.optional().describe('Only this station'),
  district: District.optional().describe('Only the stations of this district'),
  lastEventId: z.string().max(64).optional().describe('Resume after this event id, for clients that cannot send the Last-Event-ID header (the header wins); e.g. the `eventId` of GET /live/summary'),
  view: z.enum(['full', 'summary']).default('full').describe('full: events carry StationLive / FleetLive; summary: StationLiveSummary / FleetLiveSummary (what GET /live/summary serves)'),
  format: Format.describe('With view=summary, the form of the `snapshot` event: rows (FleetLiveSummary) or columns (FleetLiveColumns, as GET /live/summary?format=columns); `station` events are StationLiveSummary either way')
}).refine((q) => !(q.station && q.district), 'give station or district, not both')
  .refine((q) => q.format === 'rows' || q.view === 'summary', 'format=columns needs view=summary')

const STREAM_DESCRIPTION = `Server-Sent Events (text/event-stream) with the live state of the stations in the token's scope: all of them, \`district\`, or one \`station\`.

Events:
- \`snapshot\` (first, unless resuming): a FleetLive with every station asked for (retired ones left out), or with \`view=summary\` a FleetLiveSummary (with \`format=columns\` too: a FleetLiveColumns);
- \`station\`: a StationLive (with \`view=summary\`: a StationLiveSummary), each time a station changes (an event stored, a device going on- or offline, a registry edit, local midnight), pushed within about 1 s of the event's PUBACK. A station whose \`status\` became \`retired\` is sent once, then no more.

Each event has an \`id\` (\`<epoch>-<seq>\`, one sequence for the process). A client that reconnects with \`Last-Event-ID\` (EventSource does so itself) gets exactly the events it missed if they are still in the server's recent-event buffer and the server was not restarted; otherwise a fresh \`snapshot\`. A client that cannot keep up is skipped until its connection drains, then sent a new \`snapshot\`. A \`retry:\` hint comes first and a comment line (\`: heartbeat\`) every heartbeat interval. Authenticate with the Authorization header (fetch-based SSE clients) or the session cookie (EventSource): the API token is never accepted in the URL.`

const byId = (a: StationRec, b: StationRec) => a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0

function scopeOf (request: FastifyRequest): { scope: StationScope, token: ApiToken } {
  const token = request.apiToken
  // A viewer route is never reached without one (bearer-auth.ts); fail closed all the same.
  if (!token) throw httpError(401, 'authentication required')
  return { scope: token.scope, token }
}

export const liveRoutes: FastifyPluginAsyncZod<LiveRoutesOptions> = async (app, { live, tokens, sessions }) => {
  const { store, hub, stream: options, metrics } = live
  // The first read of the registry, before the first request (a failure: the poll retries).
  await store.ready.catch(() => {})
  const open = new Set<SseStream>()
  // Graceful shutdown must not wait for clients that never hang up: end every stream first.
  app.addHook('preClose', async () => { for (const s of [...open]) s.end() })

  /** Non-retired stations in scope (and district), by id. */
  function fleet (scope: StationScope, district: string | undefined): StationRec[] {
    const out: StationRec[] = []
    for (const s of store.records()) {
      if (s.meta.status === 'retired') continue
      if (district !== undefined && s.meta.district !== district) continue
      if (stationInScope(scope, s.meta)) out.push(s)
    }
    return out.sort(byId)
  }

  function visible (scope: StationScope, id: string): StationRec {
    const s = store.get(id)
    // One answer for unknown and out of scope: a token learns nothing about other stations.
    if (!s || !stationInScope(scope, s.meta)) throw httpError(404, `station ${id} not found`)
    return s
  }

  const fleetLive = (records: StationRec[]): FleetLive => ({ generatedAt: new Date().toISOString(), stations: records.map((s) => store.view(s)) })

  app.get('/live', {
    schema: {
      summary: 'Live state of every station in the token\'s scope',
      description: 'Occupancy, last climate reading, equipment and supply levels, device presence and today\'s entries of each station, kept in memory from stored events (rebuilt from InfluxDB at start). Retired stations are left out.',
      tags: ['live'],
      querystring: LiveQuery,
      response: { 200: FleetLive, ...errorResponses }
    }
  }, async (request) => fleetLive(fleet(scopeOf(request).scope, request.query.district)))

  app.get('/live/summary', {
    schema: {
      summary: 'What the fleet view needs of every station in the token\'s scope',
      description: 'A smaller /live for maps and tables of many stations: per station its name, district, zone, capacity, position, state, occupancy, temperature, devices online, last message, today\'s entries and open alerts (StationLiveSummary), without devices, climate, equipment, supplies or hourly entries. With `format=columns` the same as one array per field (FleetLiveColumns). `eventId` is the live stream\'s position the answer stands for: open /live/stream?view=summary&lastEventId=<eventId> to get only the changes since. Retired stations are left out.',
      tags: ['live'],
      querystring: SummaryQuery,
      response: { 200: z.union([FleetLiveSummary, FleetLiveColumns]), ...errorResponses }
    }
  }, async (request, reply) => {
    // Changes not pushed yet are in the records already and come again as events after this
    // position: a resuming client sees them twice (same version), never misses one.
    const eventId = hub.currentId()
    const { district, format } = request.query
    const stations = fleet(scopeOf(request).scope, district).map((s) => summarise(store.view(s)))
    const generatedAt = new Date().toISOString()
    if (format === 'rows') return { generatedAt, eventId, stations } satisfies FleetLiveSummary
    // Plain JSON.stringify, not the response schema's serializer: its check (a zod pass over
    // every element of every column) cost as much as the rest of the answer for 10,000
    // stations. toColumns builds the answer from summaries of the checked type, and
    // test/live-summary.test.ts parses it with FleetLiveColumns.
    reply.serializer(JSON.stringify)
    return toColumns(stations, generatedAt, eventId)
  })

  app.get('/stations/:id/live', {
    schema: {
      summary: 'Live state of one station',
      tags: ['live'],
      params: StationParams,
      response: { 200: StationLive, ...errorResponses, 404: ErrorBody.describe('No such station in the token\'s scope') }
    }
  }, async (request) => store.view(visible(scopeOf(request).scope, request.params.id)))

  app.get('/live/stream', {
    schema: {
      summary: 'Live state pushed as Server-Sent Events',
      description: STREAM_DESCRIPTION,
      tags: ['live'],
      querystring: StreamQuery,
      headers: z.object({ 'last-event-id': z.string().max(64).optional().describe('Id of the last event received (sent by EventSource when it reconnects)') }),
      response: {
        200: { description: 'An endless text/event-stream (see the description for its events)', content: { 'text/event-stream': { schema: z.string() } } },
        ...errorResponses,
        404: ErrorBody.describe('No such station in the token\'s scope')
      }
    }
  }, async (request, reply) => {
    const { scope, token } = scopeOf(request)
    const sessionHash = request.apiSession?.idHash
    const { station, district, view, format } = request.query
    if (station !== undefined) visible(scope, station)
    const wants = (id: string, d: string) =>
      (station === undefined || id === station) && (district === undefined || d === district) && stationInScope(scope, { id, district: d })
    const snapshot = () => {
      const live = fleetLive(station !== undefined
        ? [store.get(station)].filter((s): s is StationRec => s !== undefined && stationInScope(scope, s.meta))
        : fleet(scope, district))
      if (view !== 'summary') return JSON.stringify(live)
      const stations = live.stations.map(summarise)
      return JSON.stringify(format === 'columns' ? toColumns(stations, live.generatedAt, hub.currentId()) : { generatedAt: live.generatedAt, eventId: hub.currentId(), stations })
    }
    // Fastify answers HEAD with the GET handler: headers only, no endless body.
    if (request.method === 'HEAD') return reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-cache').send('')
    const lastEventId = request.headers['last-event-id'] ?? request.query.lastEventId
    const resume = lastEventId === undefined ? null : hub.since(lastEventId, wants)
    metrics?.streams.inc({ start: lastEventId === undefined ? 'snapshot' : resume === null ? 'resume_refused' : 'resumed' })

    reply.hijack()
    metrics?.connections.inc()
    const s = openSseStream(reply.raw, reply.getHeaders() as Record<string, string | number | string[]>, {
      hub,
      ...options,
      wants,
      snapshot,
      summary: view === 'summary',
      resume,
      stillAllowed: async () => {
        // A stream opened by a dashboard session lasts as long as the session: signing out
        // (or the session running out) closes it like every other request would be refused.
        if (sessionHash !== undefined && sessions && (await sessions.lookupHash(sessionHash)).state !== 'active') return false
        const now = await tokens.get(token.id)
        // Not in the token store: another kind of credential (a session), checked by its owner.
        if (now === null) return true
        return now.revokedAt === null && (now.expiresAt === null || Date.parse(now.expiresAt) > Date.now())
      },
      onPush: () => metrics?.pushed.inc(),
      onClose: () => { open.delete(s); metrics?.connections.dec() }
    })
    open.add(s)
    request.log.debug({ station, district, resumed: resume !== null }, 'live stream opened')
  })
}

// Open alerts in the live state: an alert raised by a real MQTT event through broker, ingest
// and the evaluator shows in GET /stations/{id}/live and on the SSE stream; an operator's
// acknowledgement over the API and the automatic resolve are pushed too; a token scoped to
// another district never sees the station or its alerts.
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FleetLive, StationLive } from '../api/live/schemas.ts'
import { bearer } from './support/api-tokens.ts'
import { connectDevice, publishEvent } from './support/device.ts'
import { openSse, type SseEvent, type SseItem } from './support/sse-client.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

let stack: TestStack
let door: MqttClient
let seq = 0

beforeAll(async () => {
  stack = await startTestStack({ ALERTS_TICK_MS: '200' })
  const secrets = await stack.addStation({ id: 'la-1', name: 'Live alerts 1', district: 'futian' }, ['la-1-door'])
  await stack.addStation({ id: 'la-2', name: 'Live alerts 2', district: 'nanshan' }, ['la-2-door'])
  const put = await stack.app.inject({ method: 'PATCH', url: '/alerts/rules/door_held_open?scope=station&id=la-1', headers: stack.auth('admin'), payload: { pendingS: 1, holdOffS: 1 } })
  expect(put.statusCode).toBe(200)
  door = await connectDevice(stack.mqttUrl, 'la-1-door', secrets['la-1-door']!)
}, 60_000)

afterAll(async () => {
  await door?.endAsync()
  await stack?.stop()
})

const liveOf = async (id: string) => (await stack.app.inject({ url: `/stations/${id}/live`, headers: stack.auth() })).json() as StationLive
const stationEvent = (id: string, match: (s: StationLive) => boolean) =>
  (i: SseItem): i is SseEvent => 'event' in i && i.event === 'station' && (JSON.parse(i.data) as StationLive).stationId === id && match(JSON.parse(i.data) as StationLive)

describe('alerts in the live state', () => {
  test('fired, acknowledged and resolved alerts are pushed on the stream; other districts do not see them', async () => {
    let before = await liveOf('la-1')
    // The live store learns of a new station at its next registry poll.
    for (let i = 0; i < 100 && before.stationId === undefined; i++) { await new Promise((r) => setTimeout(r, 200)); before = await liveOf('la-1') }
    expect(before.alerts).toEqual({ critical: 0, warning: 0, info: 0, pending: 0, unacknowledged: 0, top: null })

    const sse = await openSse(`${stack.apiUrl}/live/stream`, stack.auth())
    await sse.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
    const { secret } = await stack.registry.tokens.create({ name: 'nanshan board', role: 'viewer', createdBy: 'test', scope: { kind: 'district', district: 'nanshan' } })
    const other = await openSse(`${stack.apiUrl}/live/stream`, bearer(secret))
    const otherSnap = await other.waitFor((i): i is SseEvent => 'event' in i && i.event === 'snapshot')
    expect((JSON.parse(otherSnap.data) as FleetLive).stations.map((s) => s.stationId)).toEqual(['la-2'])

    await publishEvent(door, 'la-1', 'door_state', { device: 'la-1-door', ts: Date.now(), seq: seq++, state: 'held_open' })
    const fired = JSON.parse((await sse.waitFor(stationEvent('la-1', (s) => s.alerts.warning === 1), 30_000)).data) as StationLive
    expect(fired.alerts).toMatchObject({ critical: 0, warning: 1, info: 0, pending: 0, unacknowledged: 1, top: { rule: 'door_held_open', severity: 'warning', state: 'firing' } })
    expect(fired.alerts.top!.summary).not.toBe('')
    expect(Date.parse(fired.alerts.top!.since)).toBeGreaterThan(Date.now() - 60_000)
    expect((await liveOf('la-1')).alerts).toEqual(fired.alerts)

    const ack = await stack.app.inject({ method: 'POST', url: `/alerts/${fired.alerts.top!.id}/ack`, headers: stack.auth('operator'), payload: { note: 'caretaker on the way' } })
    expect(ack.statusCode).toBe(200)
    const acked = JSON.parse((await sse.waitFor(stationEvent('la-1', (s) => s.alerts.top?.state === 'acknowledged'), 30_000)).data) as StationLive
    expect(acked.alerts).toMatchObject({ warning: 1, unacknowledged: 0 })

    await publishEvent(door, 'la-1', 'door_state', { device: 'la-1-door', ts: Date.now(), seq: seq++, state: 'closed' })
    await sse.waitFor(stationEvent('la-1', (s) => s.alerts.top === null && s.alerts.warning === 0), 30_000)

    // The other district's stream carried none of it.
    expect(other.items.some((i) => 'event' in i && i.event === 'station' && (JSON.parse(i.data) as StationLive).stationId === 'la-1')).toBe(false)
    await sse.close()
    await other.close()
  })
})

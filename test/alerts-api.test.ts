import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { mintToken, bearer } from './support/api-tokens.ts'
import { connectDevice, publishEvent } from './support/device.ts'
import { startTestStack, type TestStack } from './support/stack.ts'

// Alerts end to end: MQTT events through the real broker and ingest into the evaluator, the
// alert read, acknowledged and resolved over the API, roles and scopes enforced.

let stack: TestStack
let door: MqttClient
let seq = 0

async function poll<T> (fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function alertsOf (station: string, role: 'viewer' | 'operator' | 'admin' = 'viewer') {
  const r = await stack.app.inject({ url: `/alerts?station=${station}&rule=door_held_open`, headers: stack.auth(role) })
  return (r.json() as { alerts: Array<{ id: number, state: string }> }).alerts
}

beforeAll(async () => {
  stack = await startTestStack({ ALERTS_TICK_MS: '200' })
  const secrets = await stack.addStation({ id: 'al-1', name: 'Alerts 1', district: 'futian' }, ['al-1-door'])
  await stack.addStation({ id: 'al-2', name: 'Alerts 2', district: 'nanshan' }, ['al-2-door'])
  // Short periods for the test, set as an admin would.
  const put = await stack.app.inject({ method: 'PATCH', url: '/alerts/rules/door_held_open?scope=station&id=al-1', headers: stack.auth('admin'), payload: { pendingS: 1, holdOffS: 1 } })
  expect(put.statusCode).toBe(200)
  door = await connectDevice(stack.mqttUrl, 'al-1-door', secrets['al-1-door']!)
}, 60_000)

afterAll(async () => {
  await door?.endAsync()
  await stack?.stop()
})

describe('alerts over MQTT and the API', () => {
  test('door held open fires, a viewer may not acknowledge, an operator may; closing resolves it after the hold-off', async () => {
    await publishEvent(door, 'al-1', 'door_state', { device: 'al-1-door', ts: Date.now(), seq: seq++, state: 'held_open' })
    const firing = await poll(async () => (await alertsOf('al-1')).find((a) => a.state === 'firing'), 'a firing alert')

    const asViewer = await stack.app.inject({ method: 'POST', url: `/alerts/${firing.id}/ack`, headers: stack.auth('viewer'), payload: { note: 'seen' } })
    expect(asViewer.statusCode).toBe(403)
    const ack = await stack.app.inject({ method: 'POST', url: `/alerts/${firing.id}/ack`, headers: stack.auth('operator'), payload: { note: 'caretaker on the way' } })
    expect(ack.statusCode).toBe(200)
    expect(ack.json()).toMatchObject({ state: 'acknowledged' })
    const again = await stack.app.inject({ method: 'POST', url: `/alerts/${firing.id}/ack`, headers: stack.auth('operator'), payload: { note: 'x' } })
    expect(again.statusCode).toBe(409)

    // Held open again while open: the same alert, no duplicate.
    await publishEvent(door, 'al-1', 'door_state', { device: 'al-1-door', ts: Date.now(), seq: seq++, state: 'held_open' })
    await publishEvent(door, 'al-1', 'door_state', { device: 'al-1-door', ts: Date.now(), seq: seq++, state: 'closed' })
    await poll(async () => (await alertsOf('al-1')).find((a) => a.id === firing.id && a.state === 'resolved'), 'the alert resolved')
    expect(await alertsOf('al-1')).toHaveLength(1)

    const detail = await stack.app.inject({ url: `/alerts/${firing.id}`, headers: stack.auth('viewer') })
    const history = (detail.json() as { history: Array<{ kind: string, actor: string, note: string | null }> }).history
    expect(history.map((h) => h.kind)).toEqual(['pending', 'fired', 'acknowledged', 'resolved'])
    expect(history[2]!.actor).toMatch(/^token:[a-z0-9]+:test-operator$/)
    expect(history[2]!.note).toBe('caretaker on the way')
  }, 60_000)

  test('a district-scoped token sees only its district\'s alerts', async () => {
    const [a] = await alertsOf('al-1')
    const other = bearer(await mintToken(stack.registry, 'operator', { scope: { kind: 'district', district: 'nanshan' } }))
    const list = await stack.app.inject({ url: '/alerts', headers: other })
    expect((list.json() as { alerts: unknown[] }).alerts).toEqual([])
    expect((await stack.app.inject({ url: `/alerts/${a!.id}`, headers: other })).statusCode).toBe(404)
    expect((await stack.app.inject({ method: 'POST', url: `/alerts/${a!.id}/resolve`, headers: other, payload: { note: 'x' } })).statusCode).toBe(404)
  })

  test('settings and silences are audited; silences need the operator role', async () => {
    const ends = new Date(Date.now() + 3_600_000).toISOString()
    const asViewer = await stack.app.inject({ method: 'POST', url: '/alerts/silences', headers: stack.auth('viewer'), payload: { scope: 'station', scopeId: 'al-1', endsAt: ends, reason: 'cleaning' } })
    expect(asViewer.statusCode).toBe(403)
    const created = await stack.app.inject({ method: 'POST', url: '/alerts/silences', headers: stack.auth('operator'), payload: { scope: 'station', scopeId: 'al-1', endsAt: ends, reason: 'cleaning' } })
    expect(created.statusCode).toBe(201)
    const audit = await stack.app.inject({ url: '/audit', headers: stack.auth('admin') })
    const actions = (audit.json() as { entries: Array<{ action: string }> }).entries.map((e) => e.action)
    expect(actions).toEqual(expect.arrayContaining(['alert_silence.create', 'alert_rule.update']))
  })
})

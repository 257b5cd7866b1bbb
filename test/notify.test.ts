import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Registry as PromRegistry } from 'prom-client'
import { afterEach, describe, expect, test } from 'vitest'
import { startNotifier } from '../alerts/notify/start-notifier.ts'
import type { Rule } from '../alerts/schemas.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry, type Registry } from '../registry/open-registry.ts'
import { startReceiver, type Receiver } from './support/webhook-receiver.ts'

// The notifier against a real registry file and real HTTP receivers: transitions are written
// by the alert store exactly as the evaluator writes them; the clock is injected where group
// waits, silences and flap windows matter.

const T0 = Date.now() - 7 * 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

// Each test's stations' districts, for fire() (as the evaluator knows them).
const districts = new Map<string, string>()

async function setup (stations: Array<{ id: string, district: string }> = [{ id: 's1', district: 'futian' }]) {
  const registry = openRegistry(join(mkdtempSync(join(tmpdir(), 'ws-notify-')), 'registry.sqlite'))
  for (const s of stations) {
    await registry.addStation({ id: s.id, name: `驿站 ${s.id}`, district: s.district, capacity: 10 })
    districts.set(s.id, s.district)
  }
  cleanups.push(() => registry.close())
  return registry
}

async function receiver (opts: Parameters<typeof startReceiver>[0] = {}): Promise<Receiver> {
  const r = await startReceiver(opts)
  cleanups.push(() => r.close())
  return r
}

function addWebhook (registry: Registry, url: string, extra: Partial<{ scope: 'all' | 'district' | 'station', scopeId: string, allAlerts: boolean, targets: string[] }> = {}, secret = 'hook-secret') {
  return registry.notify.webhooks.add({ name: 'ops', url, scope: 'all', scopeId: '', allAlerts: true, targets: [], enabled: true, ...extra }, secret, iso(T0))
}

function notifier (registry: Registry, clock: { now: number }, o: Partial<Parameters<typeof startNotifier>[0]> = {}) {
  const metrics = new PromRegistry()
  const n = startNotifier({
    registry, logger: createLogger('silent'), metrics, tickMs: 3_600_000, groupWaitMs: 0, giveUpAfterMs: 3_600_000, retryBaseMs: 20, retryMaxMs: 100,
    timeoutMs: 5_000, flapMaxPerHour: 4, publicUrl: 'https://ops.example.org/', clock: () => clock.now, ...o
  })
  cleanups.push(() => n.close())
  return { ...n, metrics }
}

/** Opens and fires an alert at `at`, as the evaluator does. */
async function fire (registry: Registry, stationId: string, at: number, rule: Rule = 'temperature_high', subject = '') {
  const district = districts.get(stationId)!
  return registry.transaction(async () => {
    const { alert } = await registry.alerts.open({ stationId, district, rule, subject, severity: 'warning', summary: '31.5 °C inside while occupied (limit 30 °C)', value: 31.5, threshold: 30, at: iso(at) })
    return (await registry.alerts.fire(alert.id, iso(at), 31.5, '31.5 °C inside while occupied (limit 30 °C)'))!
  })
}

const transitionsOf = async (registry: Registry, alertId: number, kind: string) => (await registry.alerts.history(alertId)).filter((t) => t.kind === kind)

async function until (fn: () => boolean | Promise<boolean>, what: string, tick: () => Promise<unknown>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await tick()
    await new Promise((r) => setTimeout(r, 20))
  }
}

const metric = async (m: PromRegistry, name: string) => (await m.getSingleMetric(name)!.get()).values.reduce((s, v) => s + v.value, 0)

describe('webhook notifications', () => {
  test('a fired alert is one signed notification under the transition\'s Idempotency-Key, with zh-CN and en text and a dashboard link', async () => {
    const registry = await setup()
    const rx = await receiver({ secret: () => 'hook-secret' })
    await addWebhook(registry, rx.url)
    const clock = { now: T0 }
    const a = await fire(registry, 's1', T0)
    const n = notifier(registry, clock)
    await until(() => rx.unique().length === 1, 'the notification', n.tick)
    const fired = (await transitionsOf(registry, a.id, 'fired'))[0]!
    const got = rx.unique()[0]!
    expect(got.key).toBe(`ws-alert-transition-${fired.id}`)
    expect(rx.badSignatures()).toBe(0)
    expect(got.body).toMatchObject({ version: 1, kind: 'fired', grouped: false, msgtype: 'text', district: 'futian', rule: 'temperature_high', count: 1 })
    const body = got.body as { text: { content: string }, texts: { en: string }, alerts: Array<Record<string, unknown>> }
    expect(body.text.content).toContain('温度过高')
    expect(body.texts.en).toContain('temperature high')
    expect(body.alerts[0]).toMatchObject({ alertId: a.id, transitionId: fired.id, station: { id: 's1', name: '驿站 s1' }, state: 'firing', value: 31.5, threshold: 30, url: `https://ops.example.org/#/alerts/${a.id}` })
    // Resolved: a second notification; nothing is sent twice.
    await registry.alerts.resolve(a.id, iso(T0 + 60_000), 'token:1:ops', 'fixed the AC')
    clock.now = T0 + 60_000
    await until(() => rx.unique().length === 2, 'the resolved notification', n.tick)
    for (let i = 0; i < 5; i++) await n.tick()
    expect(rx.all).toHaveLength(2)
    expect(rx.unique()[1]!.body).toMatchObject({ kind: 'resolved', alerts: [{ actor: 'token:1:ops', note: 'fixed the AC', state: 'resolved' }] })
    expect(await metric(n.metrics, 'waystation_notifications_sent_total')).toBe(2)
  })

  test('a receiver answering 500 three times, then 200, gets the notification on the fourth attempt', async () => {
    const registry = await setup()
    const rx = await receiver({ plan: [500, 502, 503] })
    await addWebhook(registry, rx.url)
    await fire(registry, 's1', Date.now())
    const n = notifier(registry, { get now () { return Date.now() } })
    await until(async () => (await registry.notify.counts()).sent === 1, 'delivery', n.tick)
    expect(rx.all).toHaveLength(4)
    expect(new Set(rx.all.map((r) => r.key)).size).toBe(1)
    expect(new Set(rx.all.map((r) => r.raw)).size).toBe(1)
    const [row] = await registry.notify.listNotifications({ limit: 10 })
    expect(row).toMatchObject({ state: 'sent', attempts: 4, lastStatus: 200, lastError: null })
    expect(await metric(n.metrics, 'waystation_notifications_retried_total')).toBe(3)
  })

  test('a receiver that stays down: given up after the configured age, with the last error, in the store and the metrics', async () => {
    const registry = await setup()
    const rx = await receiver({ plan: Array(1000).fill(503) as number[] })
    await addWebhook(registry, rx.url)
    await fire(registry, 's1', Date.now())
    const n = notifier(registry, { get now () { return Date.now() } }, { giveUpAfterMs: 400 })
    await until(async () => (await registry.notify.counts()).given_up === 1, 'the give-up', n.tick)
    const [row] = await registry.notify.listNotifications({ state: 'given_up', limit: 10 })
    expect(row!.attempts).toBeGreaterThanOrEqual(2)
    expect(row!.lastStatus).toBe(503)
    expect(row!.lastError).toMatch(/HTTP 503 \(given up after/)
    expect(await metric(n.metrics, 'waystation_notifications_given_up_total')).toBe(1)
    const text = await n.metrics.metrics()
    expect(text).toMatch(/waystation_notifications\{state="given_up"\} 1/)
  })

  test('a receiver that refuses (4xx) is given up at once; one that never answers is retried after the timeout', async () => {
    const registry = await setup()
    const refusing = await receiver({ plan: [401] })
    const hanging = await receiver({ plan: ['hang'] })
    await addWebhook(registry, refusing.url)
    await addWebhook(registry, hanging.url)
    await fire(registry, 's1', Date.now())
    const n = notifier(registry, { get now () { return Date.now() } }, { timeoutMs: 300 })
    await until(async () => { const c = await registry.notify.counts(); return c.given_up === 1 && c.sent === 1 }, 'give-up and delivery', n.tick)
    expect(refusing.all).toHaveLength(1)
    expect(hanging.all).toHaveLength(2)
    const rows = await registry.notify.listNotifications({ limit: 10 })
    expect(rows.find((r) => r.state === 'given_up')!.lastError).toMatch(/HTTP 401 \(refused/)
    expect(rows.find((r) => r.state === 'sent')!.attempts).toBe(2)
  })
})

describe('silences, escalation, grouping, flapping', () => {
  test('a silence holds notifications; when it ends what is still firing is sent, what resolved meanwhile is not', async () => {
    const registry = await setup([{ id: 's1', district: 'futian' }, { id: 's2', district: 'futian' }])
    const rx = await receiver()
    await addWebhook(registry, rx.url)
    const clock = { now: T0 }
    await registry.alertSettings.addSilence({ scope: 'district', scopeId: 'futian', endsAt: iso(T0 + 600_000), reason: 'power works' }, 'token:1:ops', iso(T0))
    const stillFiring = await fire(registry, 's1', T0 + 1000)
    const over = await fire(registry, 's2', T0 + 1000)
    const n = notifier(registry, clock)
    clock.now = T0 + 5000
    for (let i = 0; i < 3; i++) await n.tick()
    expect(rx.all).toHaveLength(0)
    await registry.alerts.resolve(over.id, iso(T0 + 60_000), 'system', null)
    clock.now = T0 + 600_001
    await until(() => rx.unique().length === 1, 'the held notification', n.tick)
    for (let i = 0; i < 3; i++) await n.tick()
    expect(rx.all).toHaveLength(1)
    expect(rx.all[0]!.key).toBe(`ws-alert-transition-${(await transitionsOf(registry, stillFiring.id, 'fired'))[0]!.id}`)
  })

  test('an escalation notifies its target\'s webhook only', async () => {
    const registry = await setup()
    const general = await receiver()
    const oncall = await receiver()
    await addWebhook(registry, general.url)
    await addWebhook(registry, oncall.url, { allAlerts: false, targets: ['district-oncall'] })
    const clock = { now: T0 }
    const a = await fire(registry, 's1', T0)
    const n = notifier(registry, clock)
    await until(() => general.unique().length === 1, 'the fired notification', n.tick)
    await registry.alerts.escalate(a.id, 1, 'district-oncall', iso(T0 + 1_800_000))
    clock.now = T0 + 1_800_000
    await until(() => oncall.unique().length === 1, 'the escalation', n.tick)
    for (let i = 0; i < 3; i++) await n.tick()
    expect(general.all).toHaveLength(1)
    expect(oncall.all).toHaveLength(1)
    expect(oncall.all[0]!.body).toMatchObject({ kind: 'escalated', alerts: [{ target: 'district-oncall', escalationLevel: 1 }] })
    expect((oncall.all[0]!.body as { text: { content: string } }).text.content).toContain('district-oncall')
  })

  test('30 stations going offline at once: one grouped notification per district, after the group wait', async () => {
    const stations = Array.from({ length: 30 }, (_, i) => ({ id: `g-${String(i).padStart(2, '0')}`, district: i < 20 ? 'futian' : 'nanshan' }))
    const registry = await setup(stations)
    const rx = await receiver()
    await addWebhook(registry, rx.url)
    const clock = { now: T0 }
    const n = notifier(registry, clock, { groupWaitMs: 30_000 })
    // Fired over 5 s, as the evaluator notices them tick by tick.
    for (const [i, s] of stations.entries()) await fire(registry, s.id, T0 + (i % 6) * 1000, 'station_offline', `${s.id}-door`)
    clock.now = T0 + 20_000
    for (let i = 0; i < 3; i++) await n.tick()
    expect(rx.all).toHaveLength(0)
    clock.now = T0 + 30_000
    await until(() => rx.unique().length === 2, 'two grouped notifications', n.tick)
    for (let i = 0; i < 3; i++) await n.tick()
    expect(rx.all).toHaveLength(2)
    const byDistrict = Object.fromEntries(rx.all.map((r) => [r.body.district as string, r.body as { count: number, grouped: boolean, alerts: Array<{ station: { id: string } }>, text: { content: string } }]))
    expect(byDistrict.futian!.count).toBe(20)
    expect(byDistrict.nanshan!.count).toBe(10)
    expect(byDistrict.futian!.grouped).toBe(true)
    expect(byDistrict.futian!.alerts.map((a) => a.station.id).sort()).toEqual(stations.slice(0, 20).map((s) => s.id))
    expect(byDistrict.futian!.text.content).toContain('20 个驿站')
    expect(rx.all.every((r) => r.key.startsWith('ws-alert-group-'))).toBe(true)
  })

  test('a rule that fires and resolves more than N times in an hour notifies once as flapping, then its newest state once it settles', async () => {
    const registry = await setup()
    const rx = await receiver()
    await addWebhook(registry, rx.url)
    const clock = { now: T0 }
    const n = notifier(registry, clock, { flapMaxPerHour: 2 })
    let last = 0
    for (let i = 0; i < 6; i++) {
      const t = T0 + i * 300_000
      const a = await fire(registry, 's1', t)
      clock.now = t
      await n.tick()
      await registry.alerts.resolve(a.id, iso(t + 60_000), 'system', null)
      clock.now = t + 60_000
      await n.tick()
      last = a.id
    }
    // Fires 1 and 2 (and their resolutions) normally, fire 3 as the flapping notice, then nothing.
    const kinds = rx.all.map((r) => `${r.body.kind as string}${r.body.flapping === true ? '!' : ''}`)
    expect(kinds).toEqual(['fired', 'resolved', 'fired', 'resolved', 'fired!'])
    // An hour after the last fire it has settled: its newest transition (the last resolve) goes out.
    clock.now = T0 + 5 * 300_000 + 3_600_001
    await until(() => rx.unique().length === 6, 'the settled notification', n.tick)
    expect(rx.all[5]!.body).toMatchObject({ kind: 'resolved', flapping: false, alerts: [{ alertId: last }] })
  })
})

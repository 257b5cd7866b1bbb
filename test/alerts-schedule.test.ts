import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { HOUR_MS, WEEK_H } from '../alerts/entry-history.ts'
import { createEvaluator } from '../alerts/evaluator.ts'
import type { AnyEvent } from '../contract/index.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry, type Registry } from '../registry/open-registry.ts'

// The evaluator's schedule (a station is evaluated only when it changed or a time-driven
// condition is due) against the reference that evaluates every station at every tick: two
// evaluators on two real registry files get the same 8 hours of simulated telemetry, presence,
// a settings change and operator actions, tick for tick, and must write the same alerts and
// transitions (same times, values, summaries). The telemetry is random but seeded and switches
// regimes so that every rule fires, most of them with no new event at the tick that fires them
// (offline, data gap, night alone, energy waste, silent door, pending periods, hold-offs,
// escalation). Clock injected; the simulated day is relative to now.

const TIMEZONES = ['Asia/Shanghai', 'Asia/Kathmandu', 'UTC', 'America/St_Johns', 'Asia/Kolkata']
const STATIONS = 10
const SIM_MS = 8 * HOUR_MS
const T0 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 10 * HOUR_MS + 3 * 60_000

function rng (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const localHour = (ms: number, timeZone: string) => Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(ms))
const ids = Array.from({ length: STATIONS }, (_, i) => `sched-${i}`)

async function setup (): Promise<Registry> {
  const registry = openRegistry(join(mkdtempSync(join(tmpdir(), 'ws-alerts-schedule-')), 'registry.sqlite'))
  const at = new Date(T0).toISOString()
  for (const [i, id] of ids.entries()) {
    const timezone = TIMEZONES[i % TIMEZONES.length]!
    await registry.addStation({ id, name: id, district: `d${i % 3}`, timezone, capacity: 4 })
    // Night starts three hours into the run, in the station's local time.
    const from = localHour(T0 + 3 * HOUR_MS, timezone)
    await registry.alertSettings.setOverride('station', id, 'night_alone', { threshold: 1800, nightFrom: from, nightTo: (from + 4) % 24 }, 'test', at)
  }
  // Shorter periods than the defaults, so that 8 hours see every rule fire and resolve.
  await registry.alertSettings.setOverride('fleet', '', 'energy_waste', { threshold: 1200 }, 'test', at)
  await registry.alertSettings.setOverride('fleet', '', 'temperature_high', { pendingS: 300, holdOffS: 120, escalation: [{ afterS: 600, target: 'district-oncall' }, { afterS: 1500, target: 'union-office' }] }, 'test', at)
  await registry.alertSettings.setOverride('district', 'd1', 'co2_high', { pendingS: 120 }, 'test', at)
  // Four weeks in which every hour of the run had 12 entries (silent_door knows what to expect).
  const h0 = Math.floor(T0 / HOUR_MS)
  await registry.alertSettings.addHourlyEntries(ids.flatMap((stationId) => [1, 2, 3, 4].flatMap((k) =>
    Array.from({ length: 10 }, (_, j) => ({ stationId, hour: h0 - k * WEEK_H + j, entries: 12 })))))
  return registry
}

type Sim = {
  temp: number, co2: number, pm25: number, people: number, ac: 'on' | 'off' | 'fault', held: boolean, entriesPerH: number,
  hub: 'ok' | 'dead' | 'stuck', door: 'ok' | 'dead' | 'will', water: number
}
type Presence = { connected: boolean, lastSeenAt: number }

test('the schedule writes exactly what evaluating every station at every tick writes', async () => {
  const [ref, inc] = [await setup(), await setup()]
  // The stations do not change during the run: read once (the devices' presence does, below).
  const lists = new Map([[ref, await ref.listStations()], [inc, await inc.listStations()]])
  const clock = { now: T0 }
  const presence = new Map<string, Presence>()
  for (const id of ids) for (const d of ['door', 'hub']) presence.set(`${id}-${d}`, { connected: true, lastSeenAt: T0 })
  const fleet = (r: Registry) => () => lists.get(r)!.map((s) => ({
    id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity,
    devices: (['door', 'hub'] as const).map((kind) => ({ id: `${s.id}-${kind}`, kind, ...presence.get(`${s.id}-${kind}`)! }))
  }))
  const make = (r: Registry, fullScan: boolean) => createEvaluator({
    alerts: r.alerts, settings: r.alertSettings, transaction: r.transaction, clock: () => clock.now, logger: createLogger('silent'), fleet: fleet(r), fullScan
  })
  const a = make(ref, true)
  const b = make(inc, false)
  for (const e of [a, b]) { await e.load(); await e.refresh() }

  const rand = rng(13)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const sims = new Map<string, Sim>(ids.map((id) => [id, { temp: 24, co2: 800, pm25: 30, people: 2, ac: 'off', held: false, entriesPerH: 12, hub: 'ok', door: 'ok', water: 30 }]))
  let seq = 0
  const feed = (id: string, device: string, channel: string, fields: object) => {
    const ev = { channel, payload: { device: `${id}-${device}`, ts: clock.now, seq: seq++, ...fields } } as unknown as AnyEvent
    a.onStored(id, ev)
    b.onStored(id, ev)
  }
  const noisy = (v: number, spread: number) => Math.round((v + (rand() - 0.5) * spread) * 10) / 10

  const counts: Array<[number, number]> = []
  let evaluated = 0
  let ticks = 0
  let settingsChanged = false
  let operated = false
  for (let last = clock.now; clock.now < T0 + SIM_MS; last = clock.now) {
    clock.now += 1000 + Math.floor(rand() * 3000) // late and irregular ticks too
    const dt = clock.now - last
    for (const id of ids) {
      const s = sims.get(id)!
      // A regime lasts half an hour on average.
      if (rand() < dt / 1_800_000) {
        switch (pick(['climate', 'climate', 'people', 'ac', 'door', 'entries', 'hub', 'water'] as const)) {
          case 'climate': s.temp = pick([24, 29.5, 31, 35, 12, 15]); s.co2 = pick([800, 1350, 1700]); s.pm25 = pick([30, 60, 90]); break
          case 'people': s.people = pick([0, 1, 1, 2, 5]); break
          case 'ac': s.ac = pick(['on', 'on', 'off', 'fault']); feed(id, 'hub', 'equipment', { appliance: 'ac', unit: 1, state: s.ac }); break
          case 'door': {
            const next = pick(['ok', 'ok', 'dead', 'will'] as const)
            if (next === 'will' && s.door !== 'will') feed(id, 'door', 'status', { state: 'offline' })
            if (next === 'ok' && s.door !== 'ok') feed(id, 'door', 'status', { state: 'online' })
            s.door = next
            s.held = rand() < 0.3
            if (s.door === 'ok') feed(id, 'door', 'door_state', { state: s.held ? 'held_open' : 'closed' })
            break
          }
          case 'entries': s.entriesPerH = pick([0, 0, 6, 12, 30]); break
          case 'hub': s.hub = pick(['ok', 'ok', 'dead', 'stuck']); break
          case 'water': s.water = pick([4, 9, 16, 30]); break
        }
      }
      const door = presence.get(`${id}-door`)!
      const hub = presence.get(`${id}-hub`)!
      door.connected = s.door === 'ok'
      hub.connected = s.hub !== 'dead'
      // Keep-alives every 60 s (the broker flushes last-seen times every few seconds).
      const beat = Math.floor(clock.now / 60_000) !== Math.floor(last / 60_000)
      if (beat && door.connected) door.lastSeenAt = clock.now
      if (beat && hub.connected) hub.lastSeenAt = clock.now
      if (s.hub === 'ok') {
        // Each reading about once a minute, the slower ones every few.
        if (rand() < dt / 60_000) feed(id, 'hub', 'environment', { temperature: noisy(s.temp, 2), co2: noisy(s.co2, 200), pm25: noisy(s.pm25, 20) })
        if (rand() < dt / 120_000) feed(id, 'hub', 'occupancy', { count: s.people })
        if (rand() < dt / 300_000) feed(id, 'hub', 'equipment', { appliance: 'ac', unit: 1, state: s.ac, ...(s.ac === 'fault' ? { fault: 'E4' } : {}) })
        if (rand() < dt / 300_000) feed(id, 'hub', 'supply', { item: 'water', quantity: Math.max(0, Math.round(noisy(s.water, 4))), capacity: 40 })
      }
      if (s.door === 'ok' && rand() < dt * s.entriesPerH / HOUR_MS) feed(id, 'door', 'door', { direction: 'in', method: 'face', result: 'granted' })
    }
    if (!settingsChanged && clock.now > T0 + 4 * HOUR_MS) {
      settingsChanged = true
      for (const r of [ref, inc]) await r.alertSettings.setOverride('fleet', '', 'temperature_low', { threshold: 15, clearThreshold: 17 }, 'test', new Date(clock.now).toISOString())
    }
    if (!operated && clock.now > T0 + 5 * HOUR_MS) {
      // An operator acknowledges one firing alert and resolves another, in both registries.
      const firing = await ref.alerts.list({ state: 'firing', limit: 10 })
      if (firing.length >= 2) {
        operated = true
        const at = new Date(clock.now).toISOString()
        for (const r of [ref, inc]) {
          expect(await r.alerts.acknowledge(firing[0]!.id, at, 'test', 'on it')).not.toBeNull()
          expect(await r.alerts.resolve(firing[1]!.id, at, 'test', 'fixed')).not.toBeNull()
        }
      }
    }
    if (++ticks % 5 === 0) { await a.refresh(); await b.refresh() }
    evaluated += b.dueCount(clock.now)
    counts.push([await a.tick(), await b.tick()])
  }

  expect(counts.filter(([x, y]) => x !== y)).toEqual([])
  const transitions = (r: Registry) => r.alerts.transitionsAfter(0, 1_000_000)
  expect(await transitions(inc)).toEqual(await transitions(ref))
  expect(await inc.alerts.listOpen()).toEqual(await ref.alerts.listOpen())
  const all = await transitions(ref)
  // Not vacuous: every rule fired, and pending periods, hold-offs and escalations ran out.
  expect(new Set(all.filter((t) => t.kind === 'fired').map((t) => t.rule))).toEqual(new Set([
    'station_offline', 'data_gap', 'temperature_high', 'temperature_low', 'co2_high', 'pm25_high', 'over_capacity',
    'equipment_fault', 'energy_waste', 'supply_low', 'door_held_open', 'night_alone', 'silent_door'
  ]))
  expect(new Set(all.map((t) => t.kind))).toEqual(new Set(['pending', 'fired', 'cancelled', 'resolved', 'escalated', 'acknowledged']))
  expect(operated && settingsChanged).toBe(true)
  // And the schedule skipped most of the work.
  expect(evaluated).toBeLessThan(0.5 * STATIONS * ticks)
  ref.close()
  inc.close()
}, 120_000)

test('with no new telemetry, a time-driven rule fires and escalates at the tick it is due, and nothing is evaluated in between', async () => {
  const registry = openRegistry(join(mkdtempSync(join(tmpdir(), 'ws-alerts-schedule-')), 'registry.sqlite'))
  await registry.addStation({ id: 'quiet', name: 'Quiet', district: 'futian', capacity: 4 })
  const clock = { now: T0 }
  const e = createEvaluator({
    alerts: registry.alerts, settings: registry.alertSettings, transaction: registry.transaction, clock: () => clock.now, logger: createLogger('silent'),
    // The broker last saw the door at T0 (a keep-alive) and nothing since.
    fleet: () => [{ id: 'quiet', district: 'futian', timezone: 'Asia/Shanghai', capacity: 4, devices: [{ id: 'quiet-door', kind: 'door', connected: false, lastSeenAt: T0 }] }]
  })
  await e.load()
  await e.refresh()
  const evaluatedAt: number[] = []
  for (let i = 1; i <= 45 * 60; i++) {
    clock.now = T0 + i * 1000
    if (i % 5 === 0) await e.refresh()
    if (e.dueCount(clock.now) > 0) evaluatedAt.push(i)
    await e.tick()
  }
  const [alert] = await registry.alerts.list({ rule: 'station_offline', limit: 10 })
  // Offline after 600 s of silence (pending 0), escalated 30 min later (unacknowledged).
  expect(alert).toMatchObject({ subject: 'quiet-door', state: 'firing', firedAt: new Date(T0 + 600_000).toISOString(), escalationLevel: 1 })
  expect((await registry.alerts.history(alert!.id)).map((t) => [t.kind, t.at])).toEqual([
    ['pending', new Date(T0 + 600_000).toISOString()],
    ['fired', new Date(T0 + 600_000).toISOString()],
    ['escalated', new Date(T0 + 2_400_000).toISOString()]
  ])
  // The first tick (new station), the offline tick and the one after it (its step), the escalation and the one after.
  expect(evaluatedAt).toEqual([1, 600, 601, 2400, 2401])
  registry.close()
})

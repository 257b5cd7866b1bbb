import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { createEvaluator } from '../alerts/evaluator.ts'
import type { AnyEvent } from '../contract/index.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry, type Registry } from '../registry/open-registry.ts'

// The evaluator against a real registry file, with an injected clock: pending periods,
// hysteresis, hold-offs, escalation, and a restart (a new evaluator on the same file, as after
// SIGKILL) that continues the pending period and duplicates nothing.

const START = Date.now() - 86_400_000 // any instant; everything below is relative to it

async function setup (path = join(mkdtempSync(join(tmpdir(), 'ws-alerts-')), 'registry.sqlite')) {
  const registry = openRegistry(path)
  if (!await registry.getStation('s1')) {
    await registry.addStation({ id: 's1', name: 'S1', district: 'futian', capacity: 10 })
    await registry.alertSettings.setOverride('station', 's1', 'temperature_high', { pendingS: 60, holdOffS: 120, escalation: [{ afterS: 300, target: 'district-oncall' }] }, 'test', new Date(START).toISOString())
  }
  return { registry, path }
}

async function evaluator (registry: Registry, clock: { now: number }) {
  const stations = await registry.listStations()
  const e = createEvaluator({
    alerts: registry.alerts, settings: registry.alertSettings, transaction: registry.transaction, clock: () => clock.now, logger: createLogger('silent'),
    fleet: () => stations.map((s) => ({ id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity, devices: [] }))
  })
  await e.load()
  await e.refresh()
  return e
}

let seq = 0
const env = (temperature: number): AnyEvent => ({ channel: 'environment', payload: { device: 's1-hub', ts: START, seq: seq++, temperature } })
const occupancy = (count: number): AnyEvent => ({ channel: 'occupancy', payload: { device: 's1-hub', ts: START, seq: seq++, count } })

/** Advances the clock in 1 s ticks, feeding `temp` every 10 s. */
async function run (e: Awaited<ReturnType<typeof evaluator>>, clock: { now: number }, seconds: number, temp: number | ((s: number) => number)): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    clock.now += 1000
    if (s % 10 === 0) e.onStored('s1', env(typeof temp === 'number' ? temp : temp(s)))
    await e.tick()
  }
}

async function kinds (registry: Registry, rule = 'temperature_high'): Promise<string[]> {
  const out: string[] = []
  for (const a of await registry.alerts.list({ rule: rule as 'temperature_high', limit: 100 })) out.push(...(await registry.alerts.history(a.id)).map((t) => t.kind))
  return out
}

describe('alert lifecycle', async () => {
  test('one sample over the threshold does not fire; a value oscillating around it never fires', async () => {
    const { registry } = await setup()
    const clock = { now: START }
    const e = await evaluator(registry, clock)
    e.onStored('s1', occupancy(3))
    await run(e, clock, 10, 35) // one sample at 35 °C
    await run(e, clock, 120, 25)
    // 29.5 / 30.5 alternating every 10 s: over the threshold only half the time
    await run(e, clock, 600, (s) => (Math.floor(s / 10) % 2 === 0 ? 30.5 : 29.5))
    const alerts = await kinds(registry)
    expect(alerts).not.toContain('fired')
    expect(alerts.filter((k) => k === 'pending').length).toBeGreaterThan(0)
    registry.close()
  })

  test('fires after the pending period, holds through values between the thresholds, resolves after the hold-off; escalates when unacknowledged', async () => {
    const { registry } = await setup()
    const clock = { now: START }
    const e = await evaluator(registry, clock)
    e.onStored('s1', occupancy(3))
    await run(e, clock, 90, 33)
    let [a] = await registry.alerts.list({ rule: 'temperature_high', limit: 10 })
    expect(a!.state).toBe('firing')
    // Oscillating between 29 and 31 (around the 30 °C threshold, above the 28 °C clear): no flap.
    await run(e, clock, 600, (s) => (Math.floor(s / 10) % 2 === 0 ? 31 : 29))
    ;[a] = await registry.alerts.list({ rule: 'temperature_high', limit: 10 })
    expect(a!.state).toBe('firing')
    expect(a!.escalationLevel).toBe(1) // 300 s unacknowledged
    await run(e, clock, 60, 25) // clear, but shorter than the 120 s hold-off
    expect((await registry.alerts.get(a!.id))!.state).toBe('firing')
    await run(e, clock, 30, 31) // comes back: the hold-off starts again
    await run(e, clock, 60, 25)
    expect((await registry.alerts.get(a!.id))!.state).toBe('firing')
    await run(e, clock, 130, 25)
    expect((await registry.alerts.get(a!.id))!.state).toBe('resolved')
    expect((await registry.alerts.history(a!.id)).map((t) => [t.kind, t.notify])).toEqual([['pending', false], ['fired', true], ['escalated', true], ['resolved', true]])
    expect(await registry.alerts.list({ limit: 10 })).toHaveLength(1)
    registry.close()
  })

  test('a restart continues the pending period from the registry and duplicates nothing', async () => {
    const { registry, path } = await setup()
    const clock = { now: START }
    const e = await evaluator(registry, clock)
    e.onStored('s1', occupancy(3))
    await run(e, clock, 40, 33) // pending for 40 s of 60
    expect((await registry.alerts.list({ state: 'open', limit: 10 })).map((a) => a.state)).toEqual(['pending'])
    registry.close() // the process dies; a new one opens the same file
    const again = openRegistry(path)
    const e2 = await evaluator(again, clock)
    e2.onStored('s1', occupancy(3))
    await run(e2, clock, 25, 33) // 65 s since the condition began: fires, on the same alert
    const all = await again.alerts.list({ limit: 10 })
    expect(all).toHaveLength(1)
    expect(all[0]!.state).toBe('firing')
    expect((await again.alerts.history(all[0]!.id)).map((t) => t.kind)).toEqual(['pending', 'fired'])
    again.close()
  })

  test('acknowledged alerts do not escalate; acknowledging twice is refused; one open alert per key even when opened twice', async () => {
    const { registry } = await setup()
    const at = new Date(START).toISOString()
    const base = { stationId: 's1', district: 'futian', rule: 'co2_high' as const, subject: '', severity: 'warning' as const, summary: 'x', value: 2000, threshold: 1500, at }
    const first = await registry.alerts.open(base)
    const second = await registry.alerts.open(base)
    expect(second.created).toBe(false)
    expect(second.alert.id).toBe(first.alert.id)
    await registry.alerts.fire(first.alert.id, at, 2000, 'x')
    expect(await registry.alerts.acknowledge(first.alert.id, at, 'token:t1:ops', 'on my way')).not.toBeNull()
    expect(await registry.alerts.acknowledge(first.alert.id, at, 'token:t1:ops', 'again')).toBeNull()
    expect(await registry.alerts.escalate(first.alert.id, 1, 'district-oncall', at)).toBeNull()
    const h = await registry.alerts.history(first.alert.id)
    expect(h.map((t) => [t.kind, t.actor, t.note])).toEqual([['pending', 'system', null], ['fired', 'system', null], ['acknowledged', 'token:t1:ops', 'on my way']])
    expect((await registry.alerts.transitionsAfter(h[0]!.id, 10)).map((t) => t.id)).toEqual([h[1]!.id, h[2]!.id])
    registry.close()
  })
})

describe('evaluator over an async registry', () => {
  test('a station first seen in an event while the fleet is being read keeps its state; the next refresh decides about it', async () => {
    const { registry } = await setup()
    const clock = { now: START }
    let readFleet!: () => void
    let slow = false
    const e = createEvaluator({
      alerts: registry.alerts, settings: registry.alertSettings, transaction: registry.transaction, clock: () => clock.now, logger: createLogger('silent'),
      // As on PostgreSQL: the fleet arrives after real I/O, while events keep coming.
      fleet: async () => {
        const list = (await registry.listStations()).map((s) => ({ id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity, devices: [] }))
        if (slow) await new Promise<void>((resolve) => { readFleet = resolve })
        return list
      }
    })
    await e.load()
    await e.refresh()
    slow = true
    const refreshing = e.refresh()
    await new Promise((resolve) => setImmediate(resolve))
    registry.addStation({ id: 's2', name: 'S2', district: 'futian', capacity: 4 })
    e.onStored('s2', { channel: 'occupancy', payload: { device: 's2-hub', ts: START, seq: seq++, count: 7 } })
    readFleet()
    await refreshing
    expect(e.stations().get('s2')?.occupancy).toBe(7)
    slow = false
    await e.tick() // stale: refreshes first, and now the fleet has it
    expect(e.stations().get('s2')).toMatchObject({ district: 'futian', capacity: 4, occupancy: 7 })
    registry.close()
  })
})

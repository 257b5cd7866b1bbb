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
    registry.alertSettings.setOverride('station', 's1', 'temperature_high', { pendingS: 60, holdOffS: 120, escalation: [{ afterS: 300, target: 'district-oncall' }] }, 'test', new Date(START).toISOString())
  }
  return { registry, path }
}

async function evaluator (registry: Registry, clock: { now: number }) {
  const stations = await registry.listStations()
  const e = createEvaluator({
    alerts: registry.alerts, settings: registry.alertSettings, transaction: registry.syncTransaction, clock: () => clock.now, logger: createLogger('silent'),
    fleet: () => stations.map((s) => ({ id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity, devices: [] }))
  })
  e.load()
  e.refresh()
  return e
}

let seq = 0
const env = (temperature: number): AnyEvent => ({ channel: 'environment', payload: { device: 's1-hub', ts: START, seq: seq++, temperature } })
const occupancy = (count: number): AnyEvent => ({ channel: 'occupancy', payload: { device: 's1-hub', ts: START, seq: seq++, count } })

/** Advances the clock in 1 s ticks, feeding `temp` every 10 s. */
function run (e: Awaited<ReturnType<typeof evaluator>>, clock: { now: number }, seconds: number, temp: number | ((s: number) => number)): void {
  for (let s = 0; s < seconds; s++) {
    clock.now += 1000
    if (s % 10 === 0) e.onStored('s1', env(typeof temp === 'number' ? temp : temp(s)))
    e.tick()
  }
}

const kinds = (registry: Registry, rule = 'temperature_high') => registry.alerts.list({ rule: rule as 'temperature_high', limit: 100 })
  .flatMap((a) => registry.alerts.history(a.id).map((t) => t.kind))

describe('alert lifecycle', () => {
  test('one sample over the threshold does not fire; a value oscillating around it never fires', async () => {
    const { registry } = await setup()
    const clock = { now: START }
    const e = await evaluator(registry, clock)
    e.onStored('s1', occupancy(3))
    run(e, clock, 10, 35) // one sample at 35 °C
    run(e, clock, 120, 25)
    // 29.5 / 30.5 alternating every 10 s: over the threshold only half the time
    run(e, clock, 600, (s) => (Math.floor(s / 10) % 2 === 0 ? 30.5 : 29.5))
    const alerts = kinds(registry)
    expect(alerts).not.toContain('fired')
    expect(alerts.filter((k) => k === 'pending').length).toBeGreaterThan(0)
    registry.close()
  })

  test('fires after the pending period, holds through values between the thresholds, resolves after the hold-off; escalates when unacknowledged', async () => {
    const { registry } = await setup()
    const clock = { now: START }
    const e = await evaluator(registry, clock)
    e.onStored('s1', occupancy(3))
    run(e, clock, 90, 33)
    let [a] = registry.alerts.list({ rule: 'temperature_high', limit: 10 })
    expect(a!.state).toBe('firing')
    // Oscillating between 29 and 31 (around the 30 °C threshold, above the 28 °C clear): no flap.
    run(e, clock, 600, (s) => (Math.floor(s / 10) % 2 === 0 ? 31 : 29))
    ;[a] = registry.alerts.list({ rule: 'temperature_high', limit: 10 })
    expect(a!.state).toBe('firing')
    expect(a!.escalationLevel).toBe(1) // 300 s unacknowledged
    run(e, clock, 60, 25) // clear, but shorter than the 120 s hold-off
    expect(registry.alerts.get(a!.id)!.state).toBe('firing')
    run(e, clock, 30, 31) // comes back: the hold-off starts again
    run(e, clock, 60, 25)
    expect(registry.alerts.get(a!.id)!.state).toBe('firing')
    run(e, clock, 130, 25)
    expect(registry.alerts.get(a!.id)!.state).toBe('resolved')
    expect(registry.alerts.history(a!.id).map((t) => [t.kind, t.notify])).toEqual([['pending', false], ['fired', true], ['escalated', true], ['resolved', true]])
    expect(registry.alerts.list({ limit: 10 })).toHaveLength(1)
    registry.close()
  })

  test('a restart continues the pending period from the registry and duplicates nothing', async () => {
    const { registry, path } = await setup()
    const clock = { now: START }
    const e = await evaluator(registry, clock)
    e.onStored('s1', occupancy(3))
    run(e, clock, 40, 33) // pending for 40 s of 60
    expect(registry.alerts.list({ state: 'open', limit: 10 }).map((a) => a.state)).toEqual(['pending'])
    registry.close() // the process dies; a new one opens the same file
    const again = openRegistry(path)
    const e2 = await evaluator(again, clock)
    e2.onStored('s1', occupancy(3))
    run(e2, clock, 25, 33) // 65 s since the condition began: fires, on the same alert
    const all = again.alerts.list({ limit: 10 })
    expect(all).toHaveLength(1)
    expect(all[0]!.state).toBe('firing')
    expect(again.alerts.history(all[0]!.id).map((t) => t.kind)).toEqual(['pending', 'fired'])
    again.close()
  })

  test('acknowledged alerts do not escalate; acknowledging twice is refused; one open alert per key even when opened twice', async () => {
    const { registry } = await setup()
    const at = new Date(START).toISOString()
    const base = { stationId: 's1', district: 'futian', rule: 'co2_high' as const, subject: '', severity: 'warning' as const, summary: 'x', value: 2000, threshold: 1500, at }
    const first = registry.alerts.open(base)
    const second = registry.alerts.open(base)
    expect(second.created).toBe(false)
    expect(second.alert.id).toBe(first.alert.id)
    registry.alerts.fire(first.alert.id, at, 2000, 'x')
    expect(registry.alerts.acknowledge(first.alert.id, at, 'token:t1:ops', 'on my way')).not.toBeNull()
    expect(registry.alerts.acknowledge(first.alert.id, at, 'token:t1:ops', 'again')).toBeNull()
    expect(registry.alerts.escalate(first.alert.id, 1, 'district-oncall', at)).toBeNull()
    const h = registry.alerts.history(first.alert.id)
    expect(h.map((t) => [t.kind, t.actor, t.note])).toEqual([['pending', 'system', null], ['fired', 'system', null], ['acknowledged', 'token:t1:ops', 'on my way']])
    expect(registry.alerts.transitionsAfter(h[0]!.id, 10).map((t) => t.id)).toEqual([h[1]!.id, h[2]!.id])
    registry.close()
  })
})

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { HOUR_MS, WEEK_H } from '../alerts/entry-history.ts'
import { createEvaluator } from '../alerts/evaluator.ts'
import type { AnyEvent } from '../contract/index.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry, type Registry } from '../registry/open-registry.ts'

// Rule 8, silent door, against a real registry holding a fixture history: four weeks in which
// the same hours of the week (H0-2 … H0+2, UTC) had 12 entries each, and the rest none. The
// clock is injected: H0 is a whole UTC hour a week ago, so every date is relative to today.

const H0 = Math.floor(Date.now() / HOUR_MS) - WEEK_H
const BUSY = [-2, -1, 0, 1, 2]

async function setup (withHistory: boolean, startHour = H0) {
  const registry = openRegistry(join(mkdtempSync(join(tmpdir(), 'ws-silent-')), 'registry.sqlite'))
  await registry.addStation({ id: 's1', name: 'S1', district: 'futian', capacity: 10 })
  if (withHistory) {
    await registry.alertSettings.addHourlyEntries([1, 2, 3, 4].flatMap((k) => BUSY.map((j) => ({ stationId: 's1', hour: H0 - k * WEEK_H + j, entries: 12 }))))
  }
  const clock = { now: startHour * HOUR_MS }
  const stations = await registry.listStations()
  const e = createEvaluator({
    alerts: registry.alerts, settings: registry.alertSettings, transaction: registry.transaction, clock: () => clock.now, logger: createLogger('silent'),
    // The door device is connected and its keep-alives arrive: only its entries stop.
    fleet: () => stations.map((s) => ({ id: s.id, district: s.district, timezone: s.timezone, capacity: s.capacity, devices: [{ id: 's1-door', kind: 'door', connected: true, lastSeenAt: clock.now }] }))
  })
  await e.load()
  await e.refresh()
  return { registry, clock, e }
}

let seq = 0
const entry = (): AnyEvent => ({ channel: 'door', payload: { device: 's1-door', ts: Date.now(), seq: seq++, direction: 'in', method: 'face', result: 'granted' } })

/** `seconds` of 1 s ticks, refreshing every 5 (as start-alerts does); `entries` spread evenly. */
async function run (s: Awaited<ReturnType<typeof setup>>, seconds: number, entries = 0): Promise<void> {
  const every = entries > 0 ? Math.floor(seconds / entries) : 0
  for (let i = 1; i <= seconds; i++) {
    s.clock.now += 1000
    if (every > 0 && i % every === Math.floor(every / 2)) s.e.onStored('s1', entry())
    if (i % 5 === 0) await s.e.refresh()
    await s.e.tick()
  }
}

const silent = (r: Registry) => r.alerts.list({ rule: 'silent_door', limit: 10 })

test('no entries at a normally busy hour fires once the silence was unlikely; an entry resolves it', async () => {
  const s = await setup(true)
  await run(s, 600, 3) // entries as usual (12/h expected): the stretch keeps restarting
  expect(await silent(s.registry)).toEqual([])
  // 12 an hour expected: 4.6 expected after 23 min of silence. At 20 min (4.0) nothing yet.
  await run(s, 20 * 60)
  expect(await silent(s.registry)).toEqual([])
  await run(s, 5 * 60)
  const [a] = await silent(s.registry)
  expect(a).toMatchObject({ state: 'firing', severity: 'warning', threshold: 4.6 })
  expect(a!.value).toBeGreaterThanOrEqual(4.6)
  expect(a!.summary).toMatch(/no entry for 2\d min/)
  await run(s, 60, 1) // one person walks in: the door works
  expect((await s.registry.alerts.get(a!.id))!.state).toBe('resolved')
  expect((await s.registry.alerts.history(a!.id)).map((t) => t.kind)).toEqual(['pending', 'fired', 'resolved'])
  // What the rule learnt today is in the registry, under this hour (it teaches next week).
  const learnt = await s.registry.alertSettings.hourlyEntriesSince(H0)
  expect(learnt.reduce((n, r) => n + r.entries, 0)).toBe(4)
  expect(learnt.every((r) => r.hour >= H0 && r.hour <= H0 + 1)).toBe(true)
  s.registry.close()
})

test('hours that are normally empty never fire, however long the silence; no history says nothing', async () => {
  const quiet = await setup(true, H0 + 4) // two hours after the busy block: 0 expected
  await run(quiet, 3 * 3600)
  expect(await silent(quiet.registry)).toEqual([])
  quiet.registry.close()

  const fresh = await setup(false) // a new station: no weeks learnt
  await run(fresh, 3 * 3600)
  expect(await silent(fresh.registry)).toEqual([])
  fresh.registry.close()
})

test('after a restart the stretch restarts, and the learnt history is read back', async () => {
  const s = await setup(true)
  await run(s, 30 * 60) // fires
  const [a] = await silent(s.registry)
  expect(a!.state).toBe('firing')
  // A new evaluator on the same registry (a restart): the firing alert is not resolved by the
  // short stretch since the start, and an entry still resolves it.
  const clock = s.clock
  const again = createEvaluator({
    alerts: s.registry.alerts, settings: s.registry.alertSettings, transaction: s.registry.transaction, clock: () => clock.now, logger: createLogger('silent'),
    fleet: () => [{ id: 's1', district: 'futian', timezone: 'Asia/Shanghai', capacity: 10, devices: [{ id: 's1-door', kind: 'door', connected: true, lastSeenAt: clock.now }] }]
  })
  await again.load()
  await again.refresh()
  await run({ ...s, e: again }, 120)
  expect((await s.registry.alerts.get(a!.id))!.state).toBe('firing')
  await run({ ...s, e: again }, 30, 1)
  expect((await s.registry.alerts.get(a!.id))!.state).toBe('resolved')
  expect(await silent(s.registry)).toHaveLength(1)
  s.registry.close()
})

// The rollup job itself: which days a stored event marks dirty, marks surviving a crash, an
// event stored while its day is being recomputed, and the whole path through the real stack
// (MQTT publish → PUBACK → rollup → API from the rollup).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { AnyEvent } from '../contract/index.ts'
import { createInfluxClient } from '../api/main.ts'
import { createInfluxWrite } from '../ingest/influx-write.ts'
import { eventToLine } from '../ingest/to-line.ts'
import { ensureDatabase, ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { influxQueryFn, type QueryFn } from '../rollups/influx-query.ts'
import { createRollupJob } from '../rollups/rollup-job.ts'
import { openRollupState } from '../rollups/rollup-state.ts'
import { readDays } from '../rollups/rollup-store.ts'
import { registryLookup } from '../rollups/station-info.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { startTestStack } from './support/stack.ts'

const S = 'sz-roll-01'
const cst = (local: string) => Date.parse(`${local}+08:00`)
let seq = 0
const door = (local: string, direction: 'in' | 'out', w?: number): AnyEvent =>
  ({ channel: 'door', payload: { device: `${S}-door`, ts: cst(local), seq: ++seq, direction, method: 'face', result: 'granted', ...(w === undefined ? {} : { worker: worker(w) }) } })

const db = `rollup_job_${randomBytes(4).toString('hex')}`
let dir: string
const registry = openRegistry(':memory:')
await registry.addStation({ id: S, name: 'Rollup test', timezone: 'Asia/Shanghai', capacity: 4 })
const influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db })
const write = createInfluxWrite({ url: inject('influxUrl'), database: db, timeoutMs: 10_000 })
const rollupWrite = createInfluxWrite({ url: inject('influxUrl'), database: db, timeoutMs: 10_000, retentionPolicy: ROLLUP_RETENTION_POLICY })
const logger = createLogger('silent')

async function jobWith (statePath: string, query: QueryFn = influxQueryFn(influx)) {
  const state = await openRollupState(statePath, { source: db })
  return { state, job: createRollupJob({ state, stations: registryLookup(registry), query, write: rollupWrite, logger }) }
}
async function store (job: { onStored: (s: string, e: AnyEvent) => void }, events: AnyEvent[]) {
  await write(events.map((e) => eventToLine(S, e)).join('\n'))
  for (const e of events) job.onStored(S, e)
}
const visitsOf = async (from: string, to: string) =>
  ((await readDays(influxQueryFn(influx), { stations: [S], from, to })).get(S) ?? []).map((d) => [d.date, d.agg.entries, d.uniqueWorkers])

beforeAll(async () => {
  await ensureDatabase(influx, db)
  dir = mkdtempSync(join(tmpdir(), 'waystation-rollup-'))
})
afterAll(async () => {
  await influx.dropDatabase(db).catch(() => {})
  rmSync(dir, { recursive: true, force: true })
})

describe('dirty marks', () => {
  it('an event marks the days it can change', async () => {
    const { state, job } = await jobWith(join(dir, 'marks.sqlite'))
    // An exit at 01:00 can close an entry of the day before (entries pair with exits up to 4 h later).
    job.onStored(S, door('2026-06-02T01:00:00', 'out', 1))
    // An occupancy count at 23:55 holds into the next day.
    job.onStored(S, { channel: 'occupancy', payload: { device: `${S}-hub`, ts: cst('2026-06-10T23:55:00'), seq: 1, count: 1 } })
    job.onStored(S, { channel: 'environment', payload: { device: `${S}-hub`, ts: cst('2026-06-20T12:00:00'), seq: 2, temperature: 21 } })
    // A refused attempt cannot be paired: its own day only.
    job.onStored(S, { channel: 'door', payload: { device: `${S}-door`, ts: cst('2026-06-25T01:00:00'), seq: 3, direction: 'in', method: 'face', result: 'denied' } })
    await job.flushed() // the station's facts are read from the registry first (no start(): nothing cached)
    expect((await state.dirty()).map((d) => d.date)).toEqual(['2026-06-01', '2026-06-02', '2026-06-10', '2026-06-11', '2026-06-20', '2026-06-25'])
    await state.close()
  })

  it('survive a crash: a new job finds them and rolls the days up', async () => {
    const path = join(dir, 'crash.sqlite')
    const first = await jobWith(path)
    await store(first.job, [door('2026-07-01T09:00:00', 'in', 1), door('2026-07-01T09:20:00', 'out', 1), door('2026-07-02T10:00:00', 'in', 2)])
    await first.job.flushed()
    await first.state.close() // the process dies before the job ran
    const second = await jobWith(path)
    await second.job.start({ reconcileDays: 0 })
    expect(second.job.pending()).toBe(2)
    await second.job.drain()
    await second.job.close()
    await second.job.flushed()
    expect(await second.state.dirty()).toEqual([])
    expect(await visitsOf('2026-07-01', '2026-07-02')).toEqual([['2026-07-01', 1, 1], ['2026-07-02', 1, 1]])
    await second.state.close()
  })
})

it('an event stored while its day is being recomputed is not lost', async () => {
  let injected = false
  let job!: Awaited<ReturnType<typeof jobWith>>['job']
  // The first raw read of the day: meanwhile another event of that day is stored.
  const query: QueryFn = async (statements, placeholders) => {
    const result = await influxQueryFn(influx)(statements, placeholders)
    if (!injected && statements[0]?.includes('FROM "door"')) {
      injected = true
      await store(job, [door('2026-08-01T15:00:00', 'in', 9)])
    }
    return result
  }
  const made = await jobWith(join(dir, 'race.sqlite'), query)
  job = made.job
  await store(job, [door('2026-08-01T09:00:00', 'in', 8)])
  await job.drain()
  expect(injected).toBe(true)
  expect(await visitsOf('2026-08-01', '2026-08-01')).toEqual([['2026-08-01', 2, 2]])
  await made.state.close()
})

describe('through the stack', () => {
  const stackPromise = startTestStack()
  afterAll(async () => (await stackPromise).stop())

  it('published events reach the API at once, and from the rollup once the job ran', async () => {
    const stack = await stackPromise
    const secrets = await stack.addStation({ id: 'sz-e2e-01', name: 'E2E', timezone: 'Asia/Shanghai', capacity: 4 })
    const id = 'sz-e2e-01-door'
    const device = await connectDevice(stack.mqttUrl, id, secrets[id]!)
    let n = 100
    for (const [local, direction, w] of [['2026-03-01T08:00:00', 'in', 1], ['2026-03-01T08:30:00', 'out', 1], ['2026-03-01T23:59:00', 'in', 2], ['2026-03-02T00:09:00', 'out', 2]] as const) {
      await publishEvent(device, 'sz-e2e-01', 'door', { device: id, ts: cst(local), seq: n++, direction, method: 'face', result: 'granted', worker: worker(w) })
    }
    await device.endAsync()
    const url = `${stack.apiUrl}/stations/sz-e2e-01/dwell?from=2026-03-01&to=2026-03-02`
    const before = await (await fetch(url, { headers: stack.auth() })).json() as { entries: number, medianMinutes: number, provenance: object }
    expect(before).toMatchObject({ entries: 2, medianMinutes: 10, provenance: { rollupDays: 0, rawDays: 2 } })
    await stack.rollups.job.drain()
    const after = await (await fetch(url, { headers: stack.auth() })).json() as { entries: number, medianMinutes: number, provenance: object }
    expect(after).toMatchObject({ entries: 2, medianMinutes: 10, provenance: { rollupDays: 2, rawDays: 0 } })
  })
})

// `waystation start --workers 2` as a real process tree (primary, two workers, a private
// redis-server) against a real influxd and 40 MQTT devices: connections are spread over both
// workers, every event is stored exactly once, the leased jobs run in one worker, a SIGKILLed
// worker is restarted and its devices carry on, and a SIGTERM of the primary stops everything
// with exit code 0 without losing anything acknowledged.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { leaseKey } from '../cluster/lease.ts'
import { STREAM_KEY } from '../cluster/stored-feed.ts'
import { influxClient } from '../platform/influx.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { createLoadDevice, type LoadDevice } from './support/load-device.ts'
import { expectEveryEventStoredOnce } from './support/stored-once.ts'
import { createWorkersProcess } from './support/workers-process.ts'

const DEVICES = 40
const RATE = 2 // events/s per device
const JOBS = ['rollups', 'alerts', 'notifier']
const WORKERS = ['waystation-1-w1', 'waystation-1-w2']
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 120_000, state = () => '') => {
  for (const end = Date.now() + ms; Date.now() < end;) { if (await cond()) return; await sleep(200) }
  throw new Error(`timed out waiting for ${what}${state()}`)
}

let dir: string
let secrets: Array<{ stationId: string, deviceId: string, secret: string }>
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-workers-'))
  const registry = openRegistry(join(dir, 'registry.sqlite'))
  secrets = []
  for (let i = 0; i < DEVICES; i++) {
    const stationId = `workers-${String(i).padStart(2, '0')}`
    await registry.addStation({ id: stationId, name: `Workers station ${i}` })
    const { secret } = await registry.addDevice(stationId, `${stationId}-door`)
    secrets.push({ stationId, deviceId: `${stationId}-door`, secret })
  }
  registry.close()
}, 60_000)
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

/** Which worker stored which devices' events, from the cluster's stored-event stream. */
async function devicesByWorker (redis: Redis): Promise<Map<string, Set<string>>> {
  const by = new Map<string, Set<string>>()
  for (const [, fields] of await redis.xrange(STREAM_KEY, '-', '+')) {
    const f = Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, k) => [fields[2 * k], fields[2 * k + 1]]))
    const worker = f.n!.split(':')[0]!
    const set = by.get(worker) ?? by.set(worker, new Set()).get(worker)!
    for (const [, event] of JSON.parse(f.b!) as Array<[string, { payload: { device: string } }]>) set.add(event.payload.device)
  }
  return by
}

test('--workers 2: spread, stored exactly once, leased once, a killed worker restarted, a graceful stop', { timeout: 420_000 }, async () => {
  const db = `workers_${randomBytes(4).toString('hex')}`
  const influxUrl = inject('influxUrl')
  const stack = await createWorkersProcess(2, {
    DATA_DIR: dir, // the private redis-server lives in DATA_DIR/redis
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    INFLUX_URL: influxUrl,
    INFLUX_DB: db,
    CLUSTER_LEASE_TTL_MS: '3000',
    SHUTDOWN_GRACE_MS: '10000'
  })
  const influx = influxClient({ INFLUX_URL: influxUrl, INFLUX_DB: db })
  let redis: Redis | undefined
  let devices: LoadDevice[] = []
  try {
    await waitFor(() => stack.find((l) => l.msg === 'all workers ready').length === 1 || !stack.alive(), 'all workers ready', 180_000)
    expect(stack.alive()).toBe(true)
    const first = stack.workerPids()
    expect([...first.keys()].sort()).toEqual(['w1', 'w2'])
    // Announced, and the one the workers use.
    const redisUrl = stack.redisUrl()
    expect(redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/)
    redis = new Redis(redisUrl!, { maxRetriesPerRequest: 1 })
    redis.on('error', () => {}) // refused once the primary stopped its redis-server (checked below)
    const holderOf = async (job: string) => (await redis!.get(leaseKey(job)))?.split(':')[0]
    /** Workers whose log shows `job` acquired and not lost since (a SIGKILLed one logs nothing: its pid is gone). */
    const runningIn = (job: string) => {
      const balance = new Map<string, number>()
      const live = new Set(stack.workerPids().values())
      for (const l of stack.find((l) => l.lease === job && live.has(l.pid))) {
        balance.set(l.worker!, (balance.get(l.worker!) ?? 0) + (l.msg.startsWith('lease acquired') ? 1 : /^(lease lost|job failed to start)/.test(l.msg) ? -1 : 0))
      }
      return [...balance].filter(([, n]) => n > 0).map(([w]) => w)
    }
    const leaseLog = () => `; lease log:\n${stack.find((l) => typeof l.lease === 'string').map((l) => `${l.pid} ${l.worker} ${l.lease} ${l.msg} ${String(l.reason ?? l.err ?? '')}`).join('\n')}`
    await waitFor(async () => (await Promise.all(JOBS.map(holderOf))).every((h) => h !== undefined), 'every job leased')

    devices = secrets.map((s) => createLoadDevice({ url: stack.mqttUrl, ...s, ratePerSec: RATE, baseTs: Date.now() - 86_400_000 }))
    devices.forEach((d) => d.start())
    await waitFor(() => devices.every((d) => d.acked().size >= 5), 'every device acknowledged')

    // Both workers took connections: each stored some devices' events, no device was stored
    // by both (a connection lives on one worker), and together they stored every device's.
    await waitFor(async () => (await devicesByWorker(redis!)).size === 2, 'events stored by both workers')
    const by = await devicesByWorker(redis)
    expect([...by.keys()].sort()).toEqual(WORKERS)
    const [a, b] = WORKERS.map((w) => by.get(w)!)
    expect(a!.size + b!.size).toBe(DEVICES)
    expect([...a!].filter((d) => b!.has(d))).toEqual([])

    // Each leased job runs in exactly one worker: the Redis holder, and the only worker whose
    // log shows the job acquired and not lost since (a worker stalled past the TTL on this
    // loaded machine may have lost it earlier: that hand-over is the lease working).
    await waitFor(async () => (await Promise.all(JOBS.map(async (job) => {
      const running = runningIn(job)
      return running.length === 1 && `waystation-1-${running[0]}` === await holderOf(job)
    }))).every(Boolean), 'each job running in exactly one worker, the lease holder', 120_000, leaseLog)
    // Every worker line names its worker; only the primary's lines come from other pids.
    const workerPids = new Set(first.values())
    for (const l of stack.lines.filter((l) => workerPids.has(l.pid))) expect(['w1', 'w2']).toContain(l.worker)

    // SIGKILL the worker that runs the rollup job: the primary restarts it (a new pid), its
    // devices reconnect (to either worker) and every device keeps being acknowledged; the
    // leases end up held again, once each.
    const victim = (await holderOf('rollups'))!.replace('waystation-1-', '')
    process.kill(first.get(victim)!, 'SIGKILL')
    await waitFor(() => stack.workerPids().get(victim) !== first.get(victim), `${victim} restarted`)
    expect(stack.find((l) => l.worker === victim && l.msg.includes('restarting'))).toHaveLength(1)
    const atRestart = devices.map((d) => d.acked().size)
    await waitFor(() => devices.every((d, k) => d.acked().size >= atRestart[k]! + 10), 'every device acknowledged after the restart')
    await waitFor(async () => (await Promise.all(JOBS.map(async (job) => {
      const running = runningIn(job)
      return running.length === 1 && `waystation-1-${running[0]}` === await holderOf(job)
    }))).every(Boolean), 'each job running in exactly one worker again', 120_000, leaseLog)
    const workersAfter = await devicesByWorker(redis)
    expect(workersAfter.get(`waystation-1-${victim}`)?.size ?? 0).toBeGreaterThan(0)

    // Exactly once so far: every produced event acknowledged and stored once.
    await expectEveryEventStoredOnce(influx, devices)

    // SIGTERM of the primary under load: everything exits 0, and every acknowledged event is stored.
    devices.forEach((d) => d.start())
    const resumed = devices.map((d) => d.acked().size)
    await waitFor(() => devices.every((d, k) => d.acked().size >= resumed[k]! + 4), 'load again')
    expect(await stack.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    devices.forEach((d) => d.stopProducing())
    const stopped = stack.find((l) => l.msg === 'worker stopped')
    expect(stopped.map((l) => [l.worker, l.code]).sort()).toEqual([['w1', 0], ['w2', 0]])
    const seqs = await influx.query<{ device: string, seq: number }>('SELECT "seq", "device" FROM "door"')
    const stored = new Map<string, Set<number>>()
    for (const r of seqs) (stored.get(r.device) ?? stored.set(r.device, new Set()).get(r.device)!).add(r.seq)
    for (const d of devices) {
      const missing = [...d.acked()].filter((s) => !stored.get(d.deviceId)?.has(s))
      expect(missing, d.deviceId).toEqual([])
    }
    // The private redis-server was stopped too.
    await expect(redis.ping()).rejects.toThrow()
  } finally {
    await Promise.all(devices.map((d) => d.end()))
    redis?.disconnect()
    if (stack.alive()) await stack.stop('SIGKILL')
    await influx.dropDatabase(db).catch(() => {})
  }
})

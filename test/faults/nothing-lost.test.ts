import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { influxClient } from '../../platform/influx.ts'
import { openRegistry } from '../../registry/open-registry.ts'
import { startInfluxd, type InfluxServer } from '../../scripts/influxd.ts'
import { createLoadDevice, type LoadDevice } from '../support/load-device.ts'
import { createStackProcess, freePort } from '../support/stack-process.ts'

// Fault injection on real processes: a private influxd we can stop, `waystation start` as a
// child we can kill, and 50 station door controllers holding every message until PUBACK.
// Each scenario checks exactly-once storage: per device, count, sum and range of seq.

const STATIONS = 50
const RATE = 10 // events/s per station: 500/s in all
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let dir: string
let influxPort: number
let influxd: InfluxServer
let secrets: Array<{ stationId: string, deviceId: string, secret: string }>

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-faults-'))
  influxPort = await freePort()
  influxd = await startInfluxd({ dataDir: join(dir, 'influxdb'), port: influxPort })
  const registry = openRegistry(join(dir, 'registry.sqlite'))
  secrets = []
  for (let i = 0; i < STATIONS; i++) {
    const stationId = `fault-${String(i).padStart(3, '0')}`
    await registry.addStation({ id: stationId, name: `Fault station ${i}` })
    const { secret } = await registry.addDevice(stationId, `${stationId}-door`)
    secrets.push({ stationId, deviceId: `${stationId}-door`, secret })
  }
  registry.close()
}, 120_000)

afterAll(async () => {
  await influxd?.stop()
  await rm(dir, { recursive: true, force: true })
})

async function scenario (db: string, disrupt: (stack: Awaited<ReturnType<typeof createStackProcess>>) => Promise<void>) {
  const stack = await createStackProcess({
    INFLUX_URL: influxd.url,
    INFLUX_DB: db,
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    INGEST_RETRY_MAX_DELAY_MS: '1000',
    SHUTDOWN_GRACE_MS: '10000'
  })
  await stack.start()
  // Distinct base time per scenario so databases never share points by accident.
  const baseTs = Date.UTC(2026, 0, 1) + db.length * 86_400_000
  const devices: LoadDevice[] = secrets.map((s) => createLoadDevice({ url: stack.mqttUrl, ...s, ratePerSec: RATE, baseTs }))
  devices.forEach((d) => d.start())
  try {
    await disrupt(stack)
    devices.forEach((d) => d.stopProducing())
    await allAcked(devices)
    return { stack, devices }
  } finally {
    await Promise.all(devices.map((d) => d.end()))
  }
}

/** Waits for every PUBACK; if they stop coming, fails with what is missing instead of hanging. */
async function allAcked (devices: LoadDevice[], timeoutMs = 60_000) {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const missing = devices.filter((d) => d.acked().size < d.produced())
        .map((d) => `${d.deviceId}: ${d.produced() - d.acked().size} of ${d.produced()} unacknowledged, first ${[...Array(d.produced()).keys()].find((s) => !d.acked().has(s))}`)
      reject(new Error(`PUBACKs missing after ${timeoutMs} ms:\n${missing.join('\n')}`))
    }, timeoutMs)
  })
  try {
    await Promise.race([Promise.all(devices.map((d) => d.allAcked())), timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function expectExactlyOnce (db: string, devices: LoadDevice[]) {
  const influx = influxClient({ INFLUX_URL: influxd.url, INFLUX_DB: db })
  const rows = await influx.query<{ device: string, count: number, sum: number, min: number, max: number }>(
    'SELECT count("seq"), sum("seq"), min("seq"), max("seq") FROM "door" GROUP BY "device"')
  const byDevice = new Map(rows.map((r) => [r.device, r]))
  let total = 0
  for (const d of devices) {
    const n = d.produced()
    total += n
    expect(d.acked().size, d.deviceId).toBe(n)
    expect(byDevice.get(d.deviceId), d.deviceId).toMatchObject({ count: n, sum: (n * (n - 1)) / 2, min: 0, max: n - 1 })
  }
  expect(rows.length).toBe(devices.length)
  expect(total).toBeGreaterThan(STATIONS * RATE * 5)
}

describe('nothing lost', () => {
  test('InfluxDB stopped for 20 s under load, then restarted: every event stored exactly once, no crash', async () => {
    const db = 'outage'
    const { stack, devices } = await scenario(db, async (stack) => {
      await sleep(4000)
      const pid = stack.pid()
      await influxd.stop()
      await sleep(20_000)
      influxd = await startInfluxd({ dataDir: join(dir, 'influxdb'), port: influxPort })
      await sleep(4000)
      expect(stack.pid()).toBe(pid)
      expect(stack.alive()).toBe(true)
    })
    expect(stack.starts()).toBe(1)
    await stack.stop('SIGTERM')
    await expectExactlyOnce(db, devices)
  }, 120_000)

  test('the stack SIGKILLed mid-load and restarted: every event stored exactly once', async () => {
    const db = 'sigkill'
    const { stack, devices } = await scenario(db, async (stack) => {
      await sleep(4000)
      expect(await stack.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
      await sleep(1000)
      await stack.start()
      await sleep(4000)
    })
    await stack.stop('SIGTERM')
    await expectExactlyOnce(db, devices)
  }, 120_000)

  test('SIGTERM under load: exits cleanly within the grace period and everything acknowledged is stored', async () => {
    const db = 'sigterm'
    const stack = await createStackProcess({
      INFLUX_URL: influxd.url, INFLUX_DB: db, REGISTRY_PATH: join(dir, 'registry.sqlite'), SHUTDOWN_GRACE_MS: '10000'
    })
    await stack.start()
    const devices = secrets.map((s) => createLoadDevice({ url: stack.mqttUrl, ...s, ratePerSec: RATE, baseTs: Date.UTC(2026, 2, 1) }))
    devices.forEach((d) => d.start())
    await sleep(4000)
    const exit = await stack.stop('SIGTERM')
    devices.forEach((d) => d.stopProducing())
    const acked = devices.map((d) => new Set(d.acked()))
    await Promise.all(devices.map((d) => d.end()))
    expect(exit).toEqual({ code: 0, signal: null }) // 1 would mean the grace period ran out

    const influx = influxClient({ INFLUX_URL: influxd.url, INFLUX_DB: db })
    const rows = await influx.query<{ device: string, seq: number }>('SELECT "seq", "device" FROM "door"')
    const stored = new Map<string, Set<number>>()
    for (const r of rows) {
      if (!stored.has(r.device)) stored.set(r.device, new Set())
      stored.get(r.device)!.add(r.seq)
    }
    let ackedTotal = 0
    devices.forEach((d, i) => {
      ackedTotal += acked[i]!.size
      const missing = [...acked[i]!].filter((seq) => !stored.get(d.deviceId)?.has(seq))
      expect(missing, d.deviceId).toEqual([])
    })
    expect(ackedTotal).toBeGreaterThan(STATIONS * RATE * 2)
  }, 60_000)
})

// The exactly-once check of the fault and cluster tests: every event a load device produced was
// acknowledged, and InfluxDB holds each of them once. InfluxDB keeps one point per device and
// timestamp, so count, sum, min and max of `seq` per device prove it (event n has seq n).
import { expect } from 'vitest'
import type { influxClient } from '../../platform/influx.ts'
import type { LoadDevice } from './load-device.ts'

type Influx = ReturnType<typeof influxClient>

async function waitFor (cond: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await cond()) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Stops the devices producing, waits for every PUBACK and every point, then checks each device's seqs. */
export async function expectEveryEventStoredOnce (influx: Influx, devices: readonly LoadDevice[], opts: { ackWithinMs?: number, storedWithinMs?: number } = {}): Promise<void> {
  devices.forEach((d) => d.stopProducing())
  await waitFor(() => devices.every((d) => d.acked().size === d.produced()), 'every PUBACK', opts.ackWithinMs ?? 120_000)
  await waitFor(async () => {
    const rows = await influx.query<{ device: string, count: number }>('SELECT count("seq") FROM "door" GROUP BY "device"')
    return rows.length === devices.length && rows.every((r) => r.count === devices.find((d) => d.deviceId === r.device)?.produced())
  }, 'every event in InfluxDB', opts.storedWithinMs ?? 60_000)
  const rows = await influx.query<{ device: string, count: number, sum: number, min: number, max: number }>(
    'SELECT count("seq"), sum("seq"), min("seq"), max("seq") FROM "door" GROUP BY "device"')
  for (const d of devices) {
    const n = d.produced()
    expect(rows.find((r) => r.device === d.deviceId), d.deviceId).toMatchObject({ count: n, sum: (n * (n - 1)) / 2, min: 0, max: n - 1 })
  }
}

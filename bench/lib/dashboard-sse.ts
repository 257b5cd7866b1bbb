import { setTimeout as sleep } from 'node:timers/promises'
import mqtt, { type MqttClient } from 'mqtt'
import type { BrowserContext } from 'playwright-core'
import { topicFor } from '../../contract/index.ts'
import type { DashboardFleet } from './dashboard-fleet.ts'

// Latency from a door event's PUBACK (stored) to the browser: door devices publish granted
// entries over MQTT at QoS 1; an EventSource on /live/stream in a signed-in page stamps each
// `station` event on arrival. Both clocks are this machine's wall clock (Date.now() here,
// performance.timeOrigin + performance.now() there). The n-th entry of a station is seen when
// an event of that station first carries visitsToday ≥ its count before + n, so a stream
// that coalesces updates is measured as a person sees it. An event can arrive before the
// PUBACK does (the live state and the device's acknowledgement leave at the same time):
// then the latency is negative, and reported as such.

export type SseLatency = { events: number, seen: number, p50: number, p90: number, p99: number, min: number, max: number, pubackP50: number }

type Arrival = [stationId: string, visitsToday: number, at: number]
type PageGlobals = { __sse: Arrival[], __snapshots: number, EventSource: new (url: string) => { addEventListener (t: string, cb: (e: { data: string }) => void): void, close (): void }, performance: { timeOrigin: number, now (): number } }

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN
const worker = (n: number) => `w_${n.toString(16).padStart(16, '0')}`

export async function measureSseLatency (context: BrowserContext, opts: { apiUrl: string, mqttUrl: string, fleet: DashboardFleet, events: number, intervalMs: number, log: (s: string) => void }): Promise<SseLatency> {
  const { apiUrl, fleet } = opts
  const page = await context.newPage()
  // A light same-origin page: the EventSource gets the session cookie and nothing else runs.
  // The API's own pages forbid connections (CSP default-src 'none'): the caller's context
  // bypasses CSP, which plays no part in how fast an event arrives.
  await page.goto(`${apiUrl}/health`)
  const probe = await page.evaluate(async () => {
    const ctl = new AbortController()
    const res = await fetch('/live/stream', { signal: ctl.signal, headers: { accept: 'text/event-stream' } })
    ctl.abort()
    return { status: res.status, type: res.headers.get('content-type') ?? '' }
  })
  if (probe.status !== 200 || !probe.type.startsWith('text/event-stream')) {
    throw new Error(`GET ${apiUrl}/live/stream answered ${probe.status} (${probe.type || 'no content type'}): the live stream (api/live) is missing or refuses the session cookie`)
  }
  const before = new Map<string, number>()
  for (const d of fleet.doors) {
    const res = await context.request.get(`${apiUrl}/stations/${d.stationId}/live`, { failOnStatusCode: false })
    if (!res.ok()) throw new Error(`GET ${apiUrl}/stations/${d.stationId}/live answered ${res.status()}: the live state route (api/live) is missing`)
    const body = await res.json() as { visitsToday?: unknown }
    if (typeof body.visitsToday !== 'number') throw new Error(`GET /stations/${d.stationId}/live has no numeric visitsToday`)
    before.set(d.stationId, body.visitsToday)
  }
  const ids = fleet.doors.map((d) => d.stationId)
  await page.evaluate(async (ids) => {
    const g = globalThis as unknown as PageGlobals
    g.__sse = []
    g.__snapshots = 0
    const mine = new Set(ids)
    const es = new g.EventSource('/live/stream')
    await new Promise<void>((resolve, reject) => {
      es.addEventListener('open', () => resolve())
      es.addEventListener('error', () => reject(new Error('EventSource error before open')))
    })
    es.addEventListener('snapshot', () => { g.__snapshots++ })
    es.addEventListener('station', (e) => {
      const at = g.performance.timeOrigin + g.performance.now()
      const d = JSON.parse(e.data) as { stationId: string, visitsToday: number }
      if (mine.has(d.stationId)) g.__sse.push([d.stationId, d.visitsToday, at])
    })
  }, ids)

  const clients: MqttClient[] = []
  try {
    const devices = []
    for (const d of fleet.doors) {
      const client = await mqtt.connectAsync(opts.mqttUrl, { clientId: d.deviceId, username: d.deviceId, password: d.secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 })
      clients.push(client)
      devices.push({ ...d, client, seq: 0, sent: 0 })
    }
    const warmup = devices.length * 2
    const sent: Array<{ stationId: string, expected: number, puback: number, sentAt: number }> = []
    for (let i = 0; i < warmup + opts.events; i++) {
      const d = devices[i % devices.length]!
      const payload = { device: d.deviceId, ts: Date.now(), seq: d.seq++, direction: 'in', method: 'card', result: 'granted', worker: worker(i + 1) }
      const sentAt = Date.now()
      await d.client.publishAsync(topicFor(d.stationId, 'door'), JSON.stringify(payload), { qos: 1 })
      const puback = Date.now()
      d.sent++
      if (i >= warmup) sent.push({ stationId: d.stationId, expected: before.get(d.stationId)! + d.sent, puback, sentAt })
      await sleep(opts.intervalMs)
    }
    // Wait (bounded) until the last entry of every station was seen.
    const last = new Map(sent.map((s) => [s.stationId, s.expected]))
    const deadline = Date.now() + 15_000
    let arrivals: Arrival[] = []
    while (Date.now() < deadline) {
      arrivals = await page.evaluate(() => (globalThis as unknown as PageGlobals).__sse)
      if ([...last].every(([id, n]) => arrivals.some(([s, v]) => s === id && v >= n))) break
      await sleep(200)
    }
    const latencies: number[] = []
    for (const s of sent) {
      const hit = arrivals.find(([id, v]) => id === s.stationId && v >= s.expected)
      if (hit !== undefined) latencies.push(hit[2] - s.puback)
    }
    if (latencies.length === 0) {
      const snapshots = await page.evaluate(() => (globalThis as unknown as PageGlobals).__snapshots)
      throw new Error(`none of ${sent.length} door entries reached the page as a /live/stream "station" event with a higher visitsToday within 15 s (${arrivals.length} events of these stations and ${snapshots} snapshot events arrived)`)
    }
    latencies.sort((a, b) => a - b)
    const pubacks = sent.map((s) => s.puback - s.sentAt).sort((a, b) => a - b)
    opts.log(`   SSE: ${latencies.length}/${sent.length} entries seen in the browser`)
    return { events: sent.length, seen: latencies.length, p50: pct(latencies, 0.5), p90: pct(latencies, 0.9), p99: pct(latencies, 0.99), min: latencies[0]!, max: latencies.at(-1)!, pubackP50: pct(pubacks, 0.5) }
  } finally {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => {})))
    await page.close()
  }
}

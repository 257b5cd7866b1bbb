// /metrics of `waystation start --workers 2` (real processes, a real influxd, the primary's
// private redis-server): whichever worker takes the scrape, it shows both workers' series, each
// with its `worker` label, so the machine's totals are their sums: events stored (counted against
// what the devices had acknowledged) and connected clients (against the devices connected). A
// figure read from the shared registry appears once. Each scrape goes on a new connection, which
// the primary hands to the workers in turn (/metrics is not logged per request: which worker
// answered is not checked, every answer must show both).
import { request } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, expect, inject, test } from 'vitest'
import { Counter, Registry } from 'prom-client'
import { createAlertMetrics } from '../alerts/alert-metrics.ts'
import { mergeWorkerMetrics } from '../cluster/workers/worker-metrics.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { connectDevice, publishEvent, worker } from './support/device.ts'
import { createWorkersProcess } from './support/workers-process.ts'

const DEVICES = 10
const EVENTS = 5
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One GET on a connection of its own (no keep-alive): the primary picks the next worker. */
function scrape (url: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/metrics`, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = ''
      res.on('data', (c) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** The samples of one metric: labels and value. */
function samples (text: string, name: string): Array<{ labels: Record<string, string>, value: number }> {
  const out: Array<{ labels: Record<string, string>, value: number }> = []
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(?:\\{(.*)\\})? (\\S+)$`).exec(line)
    if (!m) continue
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[k!] = v!
    out.push({ labels, value: Number(m[2]) })
  }
  return out
}
const byWorker = (s: ReturnType<typeof samples>) => {
  const m = new Map<string, number>()
  for (const x of s) m.set(x.labels.worker ?? '', (m.get(x.labels.worker ?? '') ?? 0) + x.value)
  return m
}

let dir: string
const secrets = new Map<string, string>()
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waystation-workers-metrics-'))
  const registry = openRegistry(join(dir, 'registry.sqlite'))
  for (let i = 0; i < DEVICES; i++) {
    await registry.addStation({ id: `wm-${i}`, name: `Metrics ${i}` })
    secrets.set(`wm-${i}-hub`, (await registry.addDevice(`wm-${i}`, `wm-${i}-hub`, 'hub')).secret)
  }
  registry.close()
}, 60_000)
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

test('--workers 2: every scrape shows both workers; stored events and connections sum to the machine\'s', { timeout: 300_000 }, async () => {
  const stack = await createWorkersProcess(2, {
    DATA_DIR: dir,
    REGISTRY_PATH: join(dir, 'registry.sqlite'),
    INFLUX_URL: inject('influxUrl'),
    INFLUX_DB: `workers_metrics_${randomBytes(4).toString('hex')}`,
    METRICS_PUBLIC: 'true'
  })
  const devices: MqttClient[] = []
  try {
    for (let end = Date.now() + 180_000; Date.now() < end && stack.alive();) {
      if (stack.find((l) => l.msg === 'all workers ready').length > 0) break
      await sleep(200)
    }
    expect(stack.find((l) => l.msg === 'all workers ready')).toHaveLength(1)

    // The primary hands MQTT connections to the workers in turn: both get devices.
    for (const [id, secret] of secrets) devices.push(await connectDevice(stack.mqttUrl, id, secret, { connectTimeout: 20_000 }))
    // Each publish resolves on its PUBACK, sent once the event is stored.
    await Promise.all(devices.map(async (c, i) => {
      for (let k = 1; k <= EVENTS; k++) await publishEvent(c, `wm-${i}`, 'door', { device: `wm-${i}-hub`, ts: Date.now(), seq: k, direction: 'in', method: 'face', result: 'granted', worker: worker(k) })
    }))

    for (let k = 0; k < 4; k++) {
      const { status, body } = await scrape(stack.apiUrl)
      expect(status, `scrape ${k}`).toBe(200)
      const stored = byWorker(samples(body, 'waystation_events_stored_total'))
      expect([...stored.keys()].sort(), `scrape ${k}`).toEqual(['w1', 'w2'])
      expect([...stored.values()].reduce((a, b) => a + b, 0), `scrape ${k}`).toBe(DEVICES * EVENTS)
      for (const n of stored.values()) expect(n).toBeGreaterThan(0)
      const connected = byWorker(samples(body, 'waystation_mqtt_connected_clients'))
      expect([...connected.keys()].sort()).toEqual(['w1', 'w2'])
      expect([...connected.values()].reduce((a, b) => a + b, 0)).toBe(DEVICES)
      // One series per worker, not one random worker's: the processes' own figures too.
      expect(samples(body, 'waystation_process_resident_memory_bytes').map((s) => s.labels.worker).sort()).toEqual(['w1', 'w2'])
      // A figure that is the same in every worker is shown once, without the label.
      const version = samples(body, 'waystation_nodejs_version_info')
      expect(version).toHaveLength(1)
      expect(version[0]!.labels.worker).toBeUndefined()
    }
  } finally {
    for (const c of devices) c.end(true)
    await stack.stop('SIGTERM')
  }
})

test('the merge: per-worker counters labelled, open alerts (read from the shared registry) once', async () => {
  const perWorker = await Promise.all(['w1', 'w2'].map(async (name, i) => {
    const registry = new Registry()
    new Counter({ name: 'stored_total', help: 'h', registers: [registry] }).inc(10 + i)
    createAlertMetrics(registry, { openCounts: async () => [{ rule: 'offline', severity: 'warning', state: 'firing', n: 3 }] })
    return { name, metrics: await registry.getMetricsAsJSON() }
  }))
  const text = await mergeWorkerMetrics(perWorker)
  expect(samples(text, 'stored_total')).toEqual([{ labels: { worker: 'w1' }, value: 10 }, { labels: { worker: 'w2' }, value: 11 }])
  expect(samples(text, 'waystation_alerts_open')).toEqual([{ labels: { rule: 'offline', severity: 'warning', state: 'firing' }, value: 3 }])
})

// GET /health with injected probes, the timeout guard around them, and the MQTT-level
// broker probe against a real Aedes broker and against things that are not brokers.
import { createServer, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { Aedes } from 'aedes'
import { buildApp } from '../api/build-app.ts'
import { connectPacket, parseBrokerUrl, probeBroker } from '../api/broker-probe.ts'
import { createInfluxClient } from '../api/main.ts'
import type { Probe } from '../api/probes.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'

const influx = createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'waystation' })
const up: Probe = async () => ({ ok: true, latencyMs: 3, detail: 'fine' })

function health (probes: { influx: Probe, broker: Probe }, probeTimeoutMs?: number, registry = openRegistry(':memory:')) {
  const app = buildApp({ registry, influx, logger: createLogger('silent'), probes, ...(probeTimeoutMs ? { probeTimeoutMs } : {}) })
  return app.inject({ url: '/health' }).finally(() => app.close())
}

describe('GET /health', () => {
  it('200 when every check passes', async () => {
    const res = await health({ influx: up, broker: async () => ({ ok: true }) })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.json()
    expect(body).toEqual({
      status: 'ok',
      checks: { influx: { ok: true, latencyMs: 3, detail: 'fine' }, broker: { ok: true, latencyMs: expect.any(Number) }, registry: { ok: true } }
    })
  })

  it('503 degraded when a probe reports failure', async () => {
    const res = await health({ influx: up, broker: async () => ({ ok: false, latencyMs: 1, detail: 'MQTT listener closed' }) })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ status: 'degraded', checks: { influx: { ok: true }, broker: { ok: false, detail: 'MQTT listener closed' }, registry: { ok: true } } })
  })

  it('503 when a probe throws', async () => {
    const res = await health({ influx: async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:8086') }, broker: up })
    expect(res.statusCode).toBe(503)
    expect(res.json().checks.influx).toEqual({ ok: false, latencyMs: expect.any(Number), detail: 'connect ECONNREFUSED 127.0.0.1:8086' })
  })

  it('answers within the probe timeout when a probe hangs', async () => {
    const started = Date.now()
    const res = await health({ influx: up, broker: () => new Promise(() => {}) }, 150)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(res.statusCode).toBe(503)
    expect(res.json().checks.broker).toEqual({ ok: false, latencyMs: expect.any(Number), detail: 'no answer within 150 ms' })
  })

  it('shares one probe run between concurrent requests, and reuses it for the share window', async () => {
    let influxRuns = 0
    let brokerRuns = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const influxProbe: Probe = async () => { influxRuns++; await gate; return { ok: true, latencyMs: 1 } }
    const brokerProbe: Probe = async () => { brokerRuns++; return { ok: true } }
    const app = buildApp({ registry: openRegistry(':memory:'), influx, logger: createLogger('silent'), probes: { influx: influxProbe, broker: brokerProbe }, probeShareMs: 60_000 })
    try {
      // An anonymous flood: 50 requests in flight at once make one ping and one MQTT connect.
      const flood = Array.from({ length: 50 }, () => app.inject({ url: '/health' }))
      await new Promise((resolve) => setTimeout(resolve, 20))
      release()
      const answers = await Promise.all(flood)
      expect(answers.every((r) => r.statusCode === 200)).toBe(true)
      expect([influxRuns, brokerRuns]).toEqual([1, 1])
      // Inside the window the result is reused.
      expect((await app.inject({ url: '/health' })).statusCode).toBe(200)
      expect([influxRuns, brokerRuns]).toEqual([1, 1])
    } finally {
      await app.close()
    }
  })

  it('probes again once the share window has passed, so an outage shows', async () => {
    let influxUp = true
    let runs = 0
    const influxProbe: Probe = async () => { runs++; return influxUp ? { ok: true } : { ok: false, detail: 'down' } }
    const app = buildApp({ registry: openRegistry(':memory:'), influx, logger: createLogger('silent'), probes: { influx: influxProbe, broker: up }, probeShareMs: 50 })
    try {
      expect((await app.inject({ url: '/health' })).statusCode).toBe(200)
      influxUp = false
      await new Promise((resolve) => setTimeout(resolve, 80))
      expect((await app.inject({ url: '/health' })).statusCode).toBe(503)
      expect(runs).toBe(2)
    } finally {
      await app.close()
    }
  })

  it('503 when the registry cannot be read', async () => {
    const registry = openRegistry(':memory:')
    registry.close()
    const res = await health({ influx: up, broker: up }, undefined, registry)
    expect(res.statusCode).toBe(503)
    expect(res.json().checks.registry).toEqual({ ok: false })
  })
})

describe('broker probe', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => { for (const fn of cleanup.splice(0)) await fn() })

  async function listen (server: Server): Promise<string> {
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    cleanup.push(() => new Promise((resolve) => server.close(() => resolve())))
    return `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`
  }

  async function aedesBroker (allow: boolean) {
    const aedes = await Aedes.createBroker({ authenticate: (_client, _user, _pass, done) => done(null, allow) })
    const server = createServer(aedes.handle)
    const sockets = new Set<Socket>()
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
    const url = await listen(server)
    cleanup.unshift(() => new Promise((resolve) => aedes.close(() => resolve())))
    return { aedes, url, sockets }
  }

  it('is up on a refusal: CONNACK 5 proves an MQTT broker without credentials', async () => {
    const { url, sockets } = await aedesBroker(false)
    const result = await probeBroker(url, 2000)
    expect(result).toEqual({ ok: true, latencyMs: expect.any(Number), detail: 'CONNACK 5 (not authorized)' })
    await new Promise((r) => setTimeout(r, 50))
    expect(sockets.size).toBe(0) // the probe does not leave a connection behind
  })

  it('disconnects cleanly when the broker lets it in', async () => {
    const { aedes, url } = await aedesBroker(true)
    const gone = new Promise<string>((resolve) => aedes.once('clientDisconnect', (client) => resolve(client.id)))
    expect(await probeBroker(url, 2000)).toMatchObject({ ok: true, detail: 'CONNACK 0 (accepted)' })
    expect(await gone).toMatch(/^ws-health-[0-9a-f]{12}$/)
  })

  it('is down when nothing listens', async () => {
    const server = createServer()
    const url = await listen(server)
    await new Promise((resolve) => server.close(resolve))
    const result = await probeBroker(url, 1000)
    expect(result.ok).toBe(false)
    expect(result.detail).toMatch(/ECONNREFUSED/)
  })

  it('is down when the listener is not MQTT', async () => {
    // resume(): a socket nobody reads never sees the peer's FIN, and the server never closes.
    const url = await listen(createServer((s) => { s.on('error', () => {}).resume(); s.end('HTTP/1.1 400 Bad Request\r\n\r\n') }))
    expect(await probeBroker(url, 1000)).toMatchObject({ ok: false, detail: 'not an MQTT broker (first byte 0x48)' })
  })

  it('is down, and lets go of the socket, when no CONNACK comes', async () => {
    let closed: Promise<unknown> | undefined
    const url = await listen(createServer((s) => { s.on('error', () => {}).resume(); closed = once(s, 'close') }))
    const result = await probeBroker(url, 150)
    expect(result).toMatchObject({ ok: false, detail: 'no CONNACK within 150 ms' })
    await closed
  })

  it('writes a well-formed MQTT 3.1.1 CONNECT', () => {
    const packet = connectPacket('ws-health-abc', 10)
    expect([...packet]).toEqual([
      0x10, 25, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 10, 0, 13, ...Buffer.from('ws-health-abc')
    ])
  })

  it('reads broker URLs', () => {
    expect(parseBrokerUrl('mqtt://broker.local')).toEqual({ host: 'broker.local', port: 1883, tls: false })
    expect(parseBrokerUrl('mqtts://[::1]:9883')).toEqual({ host: '::1', port: 9883, tls: true })
    expect(() => parseBrokerUrl('http://x')).toThrow(/mqtt/)
  })
})

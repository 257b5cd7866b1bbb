// A client that stops reading must not make the server buffer without bound: past
// maxBufferedBytes it is skipped, and once its connection drains it gets a fresh snapshot
// instead of the events it missed. Real HTTP over a real socket whose reader is paused.
import { connect } from 'node:net'
import { expect, inject, test } from 'vitest'
import { buildApp } from '../api/build-app.ts'
import { createLiveService } from '../api/live/live-service.ts'
import type { StationLive } from '../api/live/schemas.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { influxQueryFn } from '../rollups/influx-query.ts'
import { apiTokens } from './support/api-tokens.ts'

test('a client that stops reading is skipped past the bound, then re-sent a snapshot', async () => {
  const registry = openRegistry(':memory:')
  await registry.addStation({ id: 'st-1', name: 'one', capacity: 10 })
  const influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: 'live_backpressure' })
  const live = createLiveService({ registry, query: influxQueryFn(influx), logger: createLogger('silent'), offlineAfterSeconds: 300, stream: { maxBufferedBytes: 256 * 1024, heartbeatMs: 60_000 } })
  const ok = async () => ({ ok: true })
  const app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok }, live })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const { secrets } = await apiTokens(registry)

  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(`GET /live/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${secrets.viewer}\r\n\r\n`)
  socket.pause()
  for (let i = 0; i < 200 && live.hub.subscribers() === 0; i++) await new Promise((r) => setTimeout(r, 25))
  expect(live.hub.subscribers()).toBe(1)

  // 100 events of ~100 KB: far more than the socket buffers and the bound hold together.
  const big = live.store.view(live.store.get('st-1')!)
  const events = 100
  for (let i = 0; i < events; i++) {
    live.hub.publish({ ...big, name: 'x'.repeat(100_000), version: 1000 + i } satisfies StationLive)
    await new Promise((r) => setImmediate(r))
  }

  let text = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { text += chunk })
  socket.resume()
  const snapshots = () => text.split('event: snapshot\n').length - 1
  for (let i = 0; i < 400 && snapshots() < 2; i++) await new Promise((r) => setTimeout(r, 25))
  expect(snapshots()).toBe(2)
  const received = text.split('event: station\n').length - 1
  expect(received).toBeGreaterThan(0)
  expect(received).toBeLessThan(events)

  socket.destroy()
  for (let i = 0; i < 200 && live.hub.subscribers() > 0; i++) await new Promise((r) => setTimeout(r, 25))
  expect(live.hub.subscribers()).toBe(0)
  await app.close()
  live.close()
  registry.close()
})

// A province's snapshot (~500 B a station) can be larger than the bound: it must not count as
// the client falling behind, or the stream sends snapshot after snapshot and never an event.
test('a snapshot larger than the bound is sent once and events follow it', async () => {
  const registry = openRegistry(':memory:')
  // 4,000 stations with long names: a ~4 MB snapshot, far past the 1 KiB bound and what a
  // socket takes at once.
  for (let i = 0; i < 4000; i++) await registry.addStation({ id: `st-${i}`, name: `${i} ${'站'.repeat(190)}`, capacity: 10 })
  const influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: 'live_backpressure' })
  const live = createLiveService({ registry, query: influxQueryFn(influx), logger: createLogger('silent'), offlineAfterSeconds: 300, stream: { maxBufferedBytes: 1024, heartbeatMs: 60_000 } })
  const ok = async () => ({ ok: true })
  const app = buildApp({ registry, influx, logger: createLogger('silent'), probes: { influx: ok, broker: ok }, live })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  const { secrets } = await apiTokens(registry)

  const socket = connect(port, '127.0.0.1')
  let text = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { text += chunk })
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(`GET /live/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${secrets.viewer}\r\n\r\n`)
  for (let i = 0; i < 200 && live.hub.subscribers() === 0; i++) await new Promise((r) => setTimeout(r, 25))
  const small = live.store.view(live.store.get('st-1')!)
  live.hub.publish({ ...small, version: 1000 } satisfies StationLive)

  const count = (event: string) => text.split(`event: ${event}\n`).length - 1
  for (let i = 0; i < 400 && count('station') === 0; i++) await new Promise((r) => setTimeout(r, 25))
  expect(count('station')).toBe(1)
  expect(count('snapshot')).toBe(1)

  socket.destroy()
  await app.close()
  live.close()
  registry.close()
})

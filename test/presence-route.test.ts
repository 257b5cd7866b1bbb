import { expect, test } from 'vitest'
import { buildApp } from '../api/build-app.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { apiTokens } from './support/api-tokens.ts'
import { openTestRegistry } from './support/test-registry.ts'

// Offline by silence: a broker that died without recording disconnects leaves "connected"
// rows; the silence threshold must still report the station offline.
test('a connected device silent for longer than the threshold makes the station offline', async () => {
  const registry = await openTestRegistry()
  await registry.addStation({ id: 'st-1', name: 'one' })
  await registry.addDevice('st-1', 'st-1-door')
  await registry.addDevice('st-1', 'st-1-hub')
  const ok = async () => ({ ok: true })
  const app = buildApp({ registry, influx: createInfluxClient({ INFLUX_URL: 'http://127.0.0.1:9', INFLUX_DB: 'x' }), logger: createLogger('silent'), probes: { influx: ok, broker: ok }, offlineAfterSeconds: 60 })
  const { viewer } = await apiTokens(registry)
  const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString()

  await registry.presence.record([
    { deviceId: 'st-1-door', brokerId: 'b1', connected: true, lastSeenAt: ago(120), connectedAt: ago(3600) },
    { deviceId: 'st-1-hub', brokerId: 'b1', connected: false, lastSeenAt: ago(30), disconnectedAt: ago(30), disconnectReason: 'connection lost' }
  ])
  let body = (await app.inject({ url: '/stations/st-1/presence', headers: viewer })).json()
  expect(body).toMatchObject({ state: 'offline', offlineAfterSeconds: 60 })
  expect(body.lastSeenAt).toBe(body.devices[1].lastSeenAt)

  await registry.presence.record([{ deviceId: 'st-1-door', brokerId: 'b1', connected: true, lastSeenAt: ago(5) }])
  body = (await app.inject({ url: '/stations/st-1/presence', headers: viewer })).json()
  expect(body.state).toBe('online')
  expect(body.devices[0]).toMatchObject({ deviceId: 'st-1-door', connected: true, disconnectReason: null })

  // Broker restart: its connections are gone.
  await registry.presence.resetBroker('b1', ago(0), 'broker restarted')
  body = (await app.inject({ url: '/stations/st-1/presence', headers: viewer })).json()
  expect(body.state).toBe('offline')
  expect(body.devices[0]).toMatchObject({ connected: false, disconnectReason: 'broker restarted' })

  expect((await app.inject({ url: '/stations/nope/presence', headers: viewer })).statusCode).toBe(404)
  expect((await app.inject({ url: '/stations/NOPE/presence', headers: viewer })).statusCode).toBe(400)
  await app.close()
})

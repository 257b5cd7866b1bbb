// Shared set-up of the SIGKILL fault tests of alerts and notifications: a registry file in a
// temporary folder with one station and its door device, a station_offline override, and a
// local webhook receiver subscribed to every alert. The tests run `waystation start` as a
// child process on that registry, kill it and restart it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { openRegistry, type Registry } from '../../registry/open-registry.ts'
import { connectDevice } from './device.ts'
import { startReceiver, type Receiver } from './webhook-receiver.ts'

export type OfflineAlertFixture = {
  dir: string
  registryPath: string
  registry: Registry
  rx: Receiver
  station: string
  device: string
  secret: string
  /** Connects with a will, then drops the socket without DISCONNECT: the broker publishes the will. */
  goOffline: (brokerUrl: string) => Promise<void>
  close: () => Promise<void>
}

export type OfflineRule = { threshold: number, pendingS: number, holdOffS: number }

export async function offlineAlertFixture (station: { id: string, name: string, district: string }, rule: OfflineRule): Promise<OfflineAlertFixture> {
  const dir = await mkdtemp(join(tmpdir(), `waystation-${station.id}-`))
  const rx = await startReceiver()
  const registryPath = join(dir, 'registry.sqlite')
  const registry = openRegistry(registryPath)
  await registry.addStation(station)
  const device = `${station.id}-door`
  const { secret } = await registry.addDevice(station.id, device, 'door')
  const now = new Date().toISOString()
  await registry.alertSettings.setOverride('station', station.id, 'station_offline', { ...rule, escalation: [] }, 'test', now)
  await registry.notify.webhooks.add({ name: 'rx', url: rx.url, scope: 'all', scopeId: '', allAlerts: true, targets: [], enabled: true }, 'k', now)
  return {
    dir,
    registryPath,
    registry,
    rx,
    station: station.id,
    device,
    secret,
    goOffline: async (brokerUrl) => {
      const c: MqttClient = await connectDevice(brokerUrl, device, secret, {
        will: { topic: `stations/${station.id}/status`, payload: Buffer.from(JSON.stringify({ device, ts: Date.now(), seq: Date.now(), state: 'offline' })), qos: 1, retain: false }
      })
      c.stream.destroy()
    },
    close: async () => {
      registry.close()
      await rx.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** Polls `fn` (sync or async) every 100 ms until it yields a value (not undefined/false), or throws after `timeoutMs`. */
export async function until<T> (fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

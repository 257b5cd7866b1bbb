// The stored-events feed of an API process that does not run the broker: it subscribes to
// `stations/#` as an MQTT service client. The broker forwards a device's message to
// subscribers only after the message is stored (PUBACK ⇒ stored), and moves any message with
// a rejected part to a quarantine topic nobody receives (broker/authorize-publish.ts), so what
// arrives here is exactly what ingest's stored-events hook sees in the combined process, as
// fast. While the connection is down nothing arrives: after every reconnect the state is
// rebuilt from InfluxDB (a merge, so nothing counts twice).
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import mqtt from 'mqtt'
import { parseBatch, parseMessage, parseTopic, type AnyEvent } from '../../contract/index.ts'
import type { Logger } from '../../platform/logger.ts'

export type MqttSourceOptions = {
  url: string
  serviceId: string
  secret: string
  logger: Logger
  onStored: (stationId: string, event: AnyEvent) => void
  /** After a reconnect: events of the gap are in InfluxDB only. */
  resync: () => Promise<unknown>
}

export function startMqttSource (opts: MqttSourceOptions) {
  const { logger } = opts
  // A service's client ids are its id, or its id, ':' and a suffix (broker/authenticate.ts).
  // Random too: in a cluster a client id connecting on any node closes its connection on every
  // other one (docs/cluster.md), so two API processes that share a host name and pid (containers
  // with a fixed hostname, each its own pid 1) would take each other's feed over for ever.
  const clientId = `${opts.serviceId}:live-${randomBytes(4).toString('hex')}-${hostname()}-${process.pid}`.slice(0, 64)
  const client = mqtt.connect(opts.url, {
    clientId,
    username: opts.serviceId,
    password: opts.secret,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 2_000,
    reconnectOnConnackError: true,
    connectTimeout: 10_000
  })
  let connectedBefore = false

  client.on('connect', () => {
    client.subscribe('stations/#', { qos: 1 }, (err, granted) => {
      if (err || granted?.some((g) => g.qos === 128)) logger.error({ err: err?.message }, 'live feed: subscription to stations/# refused (is the service scoped to all stations?)')
      else logger.info({ clientId }, 'live feed: following stored events from the broker')
    })
    if (connectedBefore) void opts.resync().catch(() => {})
    connectedBefore = true
  })
  client.on('error', (err) => logger.warn({ err: err.message }, 'live feed: MQTT connection failed'))

  client.on('message', (topic, payload) => storedEventsOf(topic, payload, opts.onStored))

  return {
    close: async (): Promise<void> => { await client.endAsync(true) }
  }
}

/**
 * The events of a stored message forwarded by the broker, as ingest's stored-events hook saw
 * them: the broker forwards a message only once stored, and one with a rejected part under the
 * quarantine prefix (never `stations/…`), so every valid item of what arrives was stored.
 */
export function storedEventsOf (topic: string, payload: Buffer, onStored: (stationId: string, event: AnyEvent) => void): void {
  const t = parseTopic(topic)
  if (t === null) return // commands to stations, anything else below stations/
  if (!t.batch) {
    const r = parseMessage(t.channel, payload)
    if (r.ok) onStored(t.stationId, r.event)
    return
  }
  const b = parseBatch(t.channel, payload)
  if (!b.ok) return
  for (const item of b.items) if (item.ok) onStored(t.stationId, item.event)
}

import { createServer, type Server } from 'node:net'
import { once } from 'node:events'
import { Aedes } from 'aedes'
import type { Ingest } from '../ingest/create-ingest.ts'
import type { Logger } from '../platform/logger.ts'
import type { Metrics } from '../platform/metrics.ts'
import type { Registry } from '../registry/open-registry.ts'
import { createAuthenticate } from './authenticate.ts'
import { createAuthorizePublish, QUARANTINE_PREFIX, type PublishGate } from './authorize-publish.ts'
import { createAuthorizeSubscribe } from './authorize-subscribe.ts'
import { createDeviceSessions } from './device-sessions.ts'
import { createPresenceTracker } from './presence-tracker.ts'

export type BrokerOptions = {
  registry: Registry
  ingest: Ingest
  logger: Logger
  id: string
  host: string
  port: number
  maxPendingPerClient: number
  presenceFlushMs: number
  /** An Aedes persistence (see create-persistence.ts); in memory when absent. */
  persistence?: { instance: unknown, close (): Promise<void> } | null
  metrics?: Metrics
}

export type Broker = Awaited<ReturnType<typeof startBroker>>

/** Aedes on TCP with Waystation's authentication, ACL and store-before-PUBACK ingest. */
export async function startBroker (opts: BrokerOptions) {
  const logger = opts.logger
  const sessions = createDeviceSessions()
  const gate: PublishGate = { accepting: true }
  const aedes = await Aedes.createBroker({
    id: opts.id,
    ...(opts.persistence ? { persistence: opts.persistence.instance } : {}),
    // A subscriber that stops reading must not stall delivery to everyone else.
    drainTimeout: 30_000,
    authenticate: createAuthenticate({ registry: opts.registry, sessions, logger, ...(opts.metrics ? { metrics: opts.metrics } : {}) }),
    authorizePublish: createAuthorizePublish({ sessions, ingest: opts.ingest, logger, gate, maxPendingPerClient: opts.maxPendingPerClient, ...(opts.metrics ? { metrics: opts.metrics } : {}) }),
    authorizeSubscribe: createAuthorizeSubscribe({ sessions }),
    authorizeForward: (_client, packet) => (packet.topic.startsWith(QUARANTINE_PREFIX) ? null : packet)
  })
  aedes.on('clientError', (client, err) => logger.debug({ clientId: client.id, err: err.message }, 'client error'))
  aedes.on('connectionError', (client, err) => logger.debug({ clientId: client?.id, err: err.message }, 'connection error'))
  aedes.on('clientReady', (client) => logger.debug({ clientId: client.id }, 'client connected'))

  if (opts.metrics) opts.metrics.sources.connectedClients = () => aedes.connectedClients
  const presence = createPresenceTracker({ aedes, sessions, store: opts.registry.presence, brokerId: opts.id, flushMs: opts.presenceFlushMs, logger })

  const server: Server = createServer(aedes.handle)
  server.listen(opts.port, opts.host)
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  logger.info({ host: opts.host, port }, 'MQTT listener ready')

  /**
   * Stop accepting connections and publishes, wait until every publish already handed to
   * ingest is stored and acknowledged, then close clients. Publishes arriving after this
   * point are refused without PUBACK, so devices keep them.
   */
  async function close (): Promise<void> {
    gate.accepting = false
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
    await opts.ingest.idle()
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await serverClosed
    presence.close()
    // Aedes does not close its persistence.
    await opts.persistence?.close()
    logger.info('MQTT listener closed')
  }

  return {
    port,
    aedes,
    connectedClients: () => aedes.connectedClients,
    flushPresence: presence.flush,
    isListening: () => server.listening && !aedes.closed,
    close
  }
}

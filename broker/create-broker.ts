import type { EventEmitter } from 'node:events'
import { Aedes } from 'aedes'
import type { LiveInterest } from '../cluster/live-interest.ts'
import type { Ingest } from '../ingest/create-ingest.ts'
import type { Logger } from '../platform/logger.ts'
import type { Metrics } from '../platform/metrics.ts'
import type { Registry } from '../registry/open-registry.ts'
import { createAuthenticate } from './authenticate.ts'
import { createAuthorizeForward } from './authorize-forward.ts'
import { createAuthorizePublish, createDeviceIngest, type PublishGate } from './authorize-publish.ts'
import { createAuthorizeSubscribe } from './authorize-subscribe.ts'
import { createCredentialWatch } from './credential-watch.ts'
import { startListeners, type ListenerOptions } from './listeners.ts'
import { createOrphanWills } from './orphan-wills.ts'
import { createPreConnect } from './pre-connect.ts'
import { createPresenceTracker } from './presence-tracker.ts'
import { createPublishFastPath } from './publish-fast-path.ts'
import { createSessions } from './sessions.ts'
import { createSourceLimits, type SourceLimitOptions, type SourceLimits } from './source-limits.ts'

export type BrokerOptions = {
  registry: Registry
  ingest: Ingest
  logger: Logger
  id: string
  listeners: ListenerOptions
  limits: SourceLimitOptions & { maxConnections: number, maxClientIdLength: number }
  /**
   * Per-address limits shared with the other nodes of a cluster (cluster/source-limits-redis.ts);
   * this process's own counters when absent.
   */
  sourceLimits?: SourceLimits
  maxPendingPerClient: number
  /** How long close() lets publishes already handed to ingest reach InfluxDB (SHUTDOWN_GRACE_MS). */
  drainMs: number
  presenceFlushMs: number
  /**
   * Aedes' heartbeat (BROKER_HEARTBEAT_MS): a broker not heard for 3 of them counts as dead, and
   * the stored wills of dead brokers' clients are published every 4.
   */
  heartbeatMs: number
  credentialPollMs: number
  /** An Aedes persistence (see create-persistence.ts); in memory when absent. */
  persistence?: { instance: unknown, close (): Promise<void> } | null
  /**
   * Aedes' message bus shared with the other nodes of a cluster (cluster/mq-emitter.ts); this
   * process only when absent. Aedes closes it.
   */
  mq?: unknown
  /**
   * With `mq`: which stored messages some subscriber in the cluster can match
   * (cluster/live-interest.ts). Without it, a cluster forwards every stored message.
   */
  liveInterest?: LiveInterest
  metrics?: Metrics
}

export type Broker = Awaited<ReturnType<typeof startBroker>>

/** Aedes with Waystation's authentication, ACL, limits and store-before-PUBACK ingest. */
export async function startBroker (opts: BrokerOptions) {
  const { logger, metrics } = opts
  const m = metrics ? { metrics } : {}
  const sessions = createSessions()
  const limits = opts.sourceLimits ?? createSourceLimits(opts.limits)
  const gate: PublishGate = { accepting: true }
  const ingestDevicePublish = createDeviceIngest({ ingest: opts.ingest, logger, metrics })
  let broker: Aedes | undefined
  const interest = opts.mq != null ? opts.liveInterest : undefined
  // Redis unreachable: the subscriber is served by this node (the filter is known here at
  // once); the other nodes learn it at a later grant or when they re-read the set.
  const announce = (filter: string) => interest!.add(filter).catch((err: Error) => {
    logger.warn({ err: err.message, filter }, 'cannot tell the other nodes about a subscription')
  })
  // The presence tracker needs the broker; a will sweep runs 4 heartbeats after it exists.
  let lostWithBroker = (_device: string, _brokerId: string): void => {}
  const orphanWill = createOrphanWills({ registry: opts.registry, ingestDevicePublish, lost: (device, brokerId) => lostWithBroker(device, brokerId), logger, metrics })
  const aedes = broker = await Aedes.createBroker({
    id: opts.id,
    heartbeatInterval: opts.heartbeatMs,
    ...(opts.persistence ? { persistence: opts.persistence.instance } : {}),
    ...(opts.mq ? { mq: opts.mq } : {}),
    // A subscriber that stops reading must not stall delivery to everyone else.
    drainTimeout: 30_000,
    // Device ids are up to 64 characters; MQTT 3.1.1 lets a server accept more than 23 [MQTT-3.1.3-5].
    maxClientsIdLength: opts.limits.maxClientIdLength,
    preConnect: createPreConnect({ aedes: () => broker!, limits, maxConnections: opts.limits.maxConnections, logger, ...m }),
    authenticate: createAuthenticate({ registry: opts.registry, sessions, limits, logger, ...m }),
    authorizePublish: createAuthorizePublish({ sessions, ingestDevicePublish, logger, gate, maxPendingPerClient: opts.maxPendingPerClient, orphanWill, ...m }),
    authorizeSubscribe: createAuthorizeSubscribe({ sessions, ...(interest ? { announce } : {}) }),
    authorizeForward: createAuthorizeForward({ sessions })
  })
  aedes.on('clientError', (client, err) => logger.debug({ clientId: client.id, err: err.message }, 'client error'))
  aedes.on('connectionError', (client, err) => logger.debug({ clientId: client?.id, err: err.message }, 'connection error'))
  // Aedes emits 'error' on itself when a will sweep fails (persistence error, a will that could
  // not be stored yet); with no listener Node would end the process. The sweep runs again.
  const emitter = aedes as unknown as EventEmitter // Aedes' typings omit the 'error' event
  emitter.on('error', (err: Error) => {
    metrics?.brokerErrors.inc()
    logger.error({ err: err.message }, 'broker error')
  })
  if (metrics) metrics.sources.connectedClients = () => aedes.connectedClients
  const presence = createPresenceTracker({ aedes, sessions, store: opts.registry.presence, brokerId: opts.id, flushMs: opts.presenceFlushMs, logger })
  lostWithBroker = presence.lostWithBroker
  const watch = createCredentialWatch({ aedes, registry: opts.registry, sessions, intervalMs: opts.credentialPollMs, logger })

  // Stored data is forwarded to subscribers (services, hubs) once one has subscribed to
  // something it can match. With a persistence that outlives the process (Redis), a session
  // from before the restart may hold such subscriptions without having subscribed here: always
  // forward. In a cluster, every node knows every subscription granted anywhere (the set in
  // Redis outlives the processes too): forward what one of them can match, and nothing else,
  // through Redis (cluster/live-interest.ts). A cluster without that view forwards everything.
  const forwardAlways = interest === undefined && (opts.persistence != null || opts.mq != null)
  const liveConsumers = interest
    ? (topic: string) => interest.matches(topic)
    : () => forwardAlways || sessions.liveSubscriberSeen()
  const fastPath = createPublishFastPath({
    aedes,
    sessions,
    gate,
    maxPendingPerClient: opts.maxPendingPerClient,
    ingestDevicePublish,
    liveConsumers,
    seen: presence.touch,
    // In a cluster the bus logs Redis being unreachable (cluster/mq-emitter.ts); per message
    // that would flood the log.
    forwardFailed: (err) => logger.debug({ err: err.message }, 'stored message not forwarded to subscribers')
  })
  const listeners = await startListeners(fastPath, opts.listeners, logger, {
    onOversize: () => metrics?.connectionsRefused.inc({ reason: 'packet_too_large' }),
    onPause: () => metrics?.readsPaused.inc(),
    onStall: () => metrics?.slowReadersClosed.inc()
  })
    .catch(async (err: Error) => {
      watch.close()
      await presence.close()
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await opts.persistence?.close()
      throw err
    })
  let listening = true

  /**
   * Stop accepting connections and publishes, let every publish already handed to ingest be
   * stored and acknowledged (for at most drainMs: with InfluxDB down it would never happen),
   * then close clients. Publishes refused or given up are not acknowledged, so devices keep
   * them and resend after the restart.
   */
  async function close (): Promise<void> {
    gate.accepting = false
    listening = false
    watch.close()
    const closed = Promise.all(listeners.map((l) => l.close()))
    await opts.ingest.close(opts.drainMs)
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await closed
    await presence.close()
    // Aedes does not close its persistence.
    await opts.persistence?.close()
    logger.info('MQTT listeners closed')
  }

  const portOf = (protocol: 'mqtt' | 'mqtts' | 'ws') => listeners.find((l) => l.protocol === protocol)?.port
  return {
    /** The plain TCP port (undefined when TCP is disabled). */
    port: portOf('mqtt'),
    tlsPort: portOf('mqtts'),
    wsPort: portOf('ws'),
    aedes,
    connectedClients: () => aedes.connectedClients,
    flushPresence: presence.flush,
    pollCredentials: watch.poll,
    isListening: () => listening && !aedes.closed,
    close
  }
}

import { startBroker } from '../../broker/create-broker.ts'
import { createPersistence } from '../../broker/create-persistence.ts'
import { startIngest } from '../../ingest/start-ingest.ts'
import type { Config } from '../../platform/config.ts'
import { createLifecycle } from '../../platform/lifecycle.ts'
import type { Logger } from '../../platform/logger.ts'
import { createMetrics } from '../../platform/metrics.ts'
import { startMetricsServer } from '../../platform/metrics-server.ts'
import { openConfiguredRegistry } from '../../registry/open-registry.ts'
import { startApi } from '../../api/main.ts'
import type { MetricsSource } from '../../api/routes/metrics.ts'
import type { Registry as PromRegistry } from 'prom-client'
import { startLive } from '../../api/live/start-live.ts'
import { createAlertMetrics } from '../../alerts/alert-metrics.ts'
import { startAlerts } from '../../alerts/start-alerts.ts'
import { startNotifier } from '../../alerts/notify/start-notifier.ts'
import { createLiveInterest, type LiveInterest } from '../../cluster/live-interest.ts'
import { createClusterEmitter, type ClusterEmitter } from '../../cluster/mq-emitter.ts'
import { followOtherNodes } from '../../cluster/other-nodes-stored.ts'
import { startCluster } from '../../cluster/start-cluster.ts'
import { createRedisSourceLimits } from '../../cluster/source-limits-redis.ts'
import type { SourceLimits } from '../../broker/source-limits.ts'
import { readRollupStatus, startRollups, type RollupStatusView } from '../../rollups/start-rollups.ts'

export type ServeRoles = { broker: boolean, api: boolean }
export type ServeOptions = {
  /** What the API's /metrics renders, from this process's registry (a worker: every worker's). */
  metricsSource?: (registry: PromRegistry) => MetricsSource
}

/**
 * Starts the requested roles in one process: `start` runs both (ingest lives inside the
 * broker, because the broker's PUBACK waits for the store), `broker` and `api` one each.
 * Returns the running parts and a shutdown function that closes them in reverse order; pass a
 * lifecycle to have things started before (e.g. a private influxd) closed after them.
 */
export async function serve (config: Config, logger: Logger, roles: ServeRoles, lifecycle = createLifecycle(logger, config.SHUTDOWN_GRACE_MS), opts: ServeOptions = {}) {
  try {
    const registry = await openConfiguredRegistry(config)
    lifecycle.add('registry', async () => registry.close())
    const k = registry.credentialKeyInfo
    logger.info({ credentialKeyId: k.id, source: k.source }, k.created ? 'credential key generated (keep it with the registry\'s backups)' : 'credential key loaded')
    const metrics = createMetrics()
    createAlertMetrics(metrics.registry, registry.alerts)

    let broker: Awaited<ReturnType<typeof startBroker>> | undefined
    let rollupStatus: RollupStatusView | undefined
    let rollups: Awaited<ReturnType<typeof startRollups>> | undefined
    let live: Awaited<ReturnType<typeof startLive>> | undefined
    if (roles.api) {
      // Before ingest: it closes after the broker, and every stored event finds it listening.
      live = await startLive({ config, registry, logger, metrics: metrics.registry, source: roles.broker ? 'hook' : 'broker' })
      lifecycle.add('live', live.close)
    }
    let alerts: Awaited<ReturnType<typeof startAlerts>> | undefined
    let bus: ClusterEmitter | undefined
    let cluster: Awaited<ReturnType<typeof startCluster>> | undefined
    let liveInterest: LiveInterest | undefined
    let sourceLimits: SourceLimits | undefined
    if (roles.broker) {
      const limits = {
        connectsPerWindow: config.MQTT_CONNECTS_PER_WINDOW,
        connectWindowMs: config.MQTT_CONNECT_WINDOW_MS,
        maxFailures: config.MQTT_AUTH_MAX_FAILURES,
        failureWindowMs: config.MQTT_AUTH_FAILURE_WINDOW_MS,
        lockoutMs: config.MQTT_AUTH_LOCKOUT_MS
      }
      const ingest = startIngest(config, logger, metrics)
      if (live) ingest.ingest.onStored(live.live.onStored)
      const notifierOptions = {
        registry,
        logger,
        metrics: metrics.registry,
        tickMs: config.NOTIFY_TICK_MS,
        groupWaitMs: config.NOTIFY_GROUP_WAIT_S * 1000,
        giveUpAfterMs: config.NOTIFY_GIVE_UP_AFTER_S * 1000,
        retryBaseMs: config.NOTIFY_RETRY_BASE_MS,
        retryMaxMs: config.NOTIFY_RETRY_MAX_MS,
        timeoutMs: config.NOTIFY_TIMEOUT_MS,
        flapMaxPerHour: config.NOTIFY_FLAP_MAX_PER_HOUR,
        publicUrl: config.PUBLIC_URL ?? null
      }
      if (config.CLUSTER === 'redis') {
        // Once per cluster, each under its own lease, fed with every node's stored events.
        // Added before ingest, so it closes after it: the last stored events reach the feed.
        cluster = await startCluster({ redisUrl: config.REDIS_URL!, node: config.BROKER_ID, leaseTtlMs: config.CLUSTER_LEASE_TTL_MS, logger })
        lifecycle.add('cluster', cluster.close)
        ingest.ingest.onStored(cluster.onStored)
        cluster.lease('rollups', (events) => startRollups({ config, registry, ingest: events, logger }))
        if (config.ALERTS_EVALUATION === 'on') cluster.lease('alerts', (events) => startAlerts({ registry, ingest: events, logger, tickMs: config.ALERTS_TICK_MS }))
        cluster.lease('notifier', () => startNotifier(notifierOptions))
        // Aedes' bus shared by the nodes: cross-node delivery and take-over (Aedes closes it).
        bus = await createClusterEmitter({ redisUrl: config.REDIS_URL!, logger })
        // Which stored messages some subscriber on some node can match: only those go on the bus.
        const interest = liveInterest = await createLiveInterest({ redis: cluster.redis, logger })
        lifecycle.add('live-interest', interest.close)
        // Per-address connection rate and failed-login lockout counted once for the cluster.
        // Its own connection, failing at once while Redis is unreachable (the broker then counts
        // in this process): a CONNECT must not wait in a queue for Redis to come back.
        const limitsConn = cluster.redis.duplicate({ enableOfflineQueue: false, enableAutoPipelining: true, maxRetriesPerRequest: 1 })
        limitsConn.on('error', () => {}) // reported by the limits themselves, rate-limited
        lifecycle.add('source-limits', async () => { limitsConn.disconnect() })
        await limitsConn.connect() // lazy, as the connection it duplicates
        sourceLimits = createRedisSourceLimits({ redis: limitsConn, limits, logger: logger.child({ component: 'broker' }) })
      } else {
        // Added before ingest, so it closes after it: every stored event has marked its days.
        rollups = await startRollups({ config, registry, ingest: ingest.ingest, logger })
        lifecycle.add('rollups', rollups.close)
        rollupStatus = rollups.status
        if (config.ALERTS_EVALUATION === 'on') {
          alerts = await startAlerts({ registry, ingest: ingest.ingest, logger, tickMs: config.ALERTS_TICK_MS })
          lifecycle.add('alerts', alerts.close)
        }
        // Added after the evaluator, so it closes before it (lifecycle closes in reverse order).
        const notifier = startNotifier(notifierOptions)
        lifecycle.add('notifier', notifier.close)
      }
      lifecycle.add('ingest', () => ingest.close(config.SHUTDOWN_GRACE_MS))
      broker = await startBroker({
        registry,
        ingest: ingest.ingest,
        logger: logger.child({ component: 'broker' }),
        id: config.BROKER_ID,
        listeners: {
          host: config.MQTT_HOST,
          tcpPort: config.MQTT_PORT === 'off' ? null : config.MQTT_PORT,
          tls: config.MQTT_TLS_PORT !== undefined && config.MQTT_TLS_CERT && config.MQTT_TLS_KEY
            ? { port: config.MQTT_TLS_PORT, certFile: config.MQTT_TLS_CERT, keyFile: config.MQTT_TLS_KEY, caFile: config.MQTT_TLS_CA }
            : null,
          wsPort: config.MQTT_WS_PORT ?? null,
          socketPath: config.MQTT_SOCKET_PATH ?? null,
          proxyProtocol: config.MQTT_PROXY_PROTOCOL === 'on',
          maxPacketBytes: config.MQTT_MAX_PACKET_BYTES,
          unsent: { maxUnsentBytes: config.MQTT_MAX_UNSENT_BYTES, timeoutMs: config.MQTT_UNSENT_TIMEOUT_MS }
        },
        limits: { ...limits, maxConnections: config.MQTT_MAX_CONNECTIONS, maxClientIdLength: config.MQTT_MAX_CLIENT_ID_LENGTH },
        ...(sourceLimits ? { sourceLimits } : {}),
        maxPendingPerClient: config.INGEST_MAX_PENDING_PER_CLIENT,
        drainMs: config.SHUTDOWN_GRACE_MS,
        presenceFlushMs: config.PRESENCE_FLUSH_MS,
        heartbeatMs: config.BROKER_HEARTBEAT_MS,
        credentialPollMs: config.CREDENTIAL_POLL_MS,
        persistence: await createPersistence(config),
        ...(bus ? { mq: bus.mq } : {}),
        ...(liveInterest ? { liveInterest } : {}),
        metrics
      })
      lifecycle.add('broker', broker.close)
      if (cluster && live) {
        // The live view hears the other nodes' stored events too (its own come from the hook).
        const l = live.live
        const redis = cluster.redis.duplicate()
        redis.on('error', () => {}) // the cluster's own connection logs Redis errors
        const others = await followOtherNodes({ redis, self: cluster.holder, onStored: l.onStored, logger: l.logger })
        lifecycle.add('live-other-nodes', others.close)
      }
      if (!roles.api && config.METRICS_PORT !== undefined) {
        const authorize = config.METRICS_PUBLIC ? null : async (bearer: string) => await registry.tokens.verify(bearer) !== null
        const server = await startMetricsServer(metrics.registry, config.MQTT_HOST, config.METRICS_PORT, authorize)
        lifecycle.add('metrics', server.close)
      }
    }

    let api: Awaited<ReturnType<typeof startApi>> | undefined
    if (roles.api) {
      const b = broker
      const probes = b
        ? {
            broker: async () => b.isListening()
              ? { ok: true, detail: `${b.connectedClients()} clients connected` }
              : { ok: false, detail: 'MQTT listener closed' }
          }
        : undefined
      if (!rollupStatus) {
        const reader = await readRollupStatus(config)
        lifecycle.add('rollup-status', async () => reader.close())
        rollupStatus = reader.status
      }
      api = await startApi({ config, logger, registry, metrics: opts.metricsSource?.(metrics.registry) ?? metrics.registry, rollups: rollupStatus, ...(live ? { live: live.live } : {}), ...(probes ? { probes } : {}) })
      lifecycle.add('api', api.close)
    }
    return { lifecycle, broker, api, metrics, rollups, alerts, shutdown: lifecycle.shutdown }
  } catch (err) {
    await lifecycle.shutdown('start-up failed')
    throw err
  }
}

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * Prometheus metrics for one process. Components record into `metrics.*`; `/metrics` (API, or
 * the broker's own listener when it runs alone) renders the registry. Label values are small
 * fixed sets: never a device id, station id or free text.
 */
export function createMetrics () {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'waystation_' })
  const registers = [registry]
  // Gauges read at scrape time from whoever owns the number.
  const sources = { pendingPoints: () => 0, connectedClients: () => 0 }
  return {
    registry,
    sources,
    received: new Counter({ name: 'waystation_messages_received_total', help: 'MQTT messages handed to ingest', labelNames: ['channel'] as const, registers }),
    stored: new Counter({ name: 'waystation_events_stored_total', help: 'Events stored in InfluxDB as data', labelNames: ['channel'] as const, registers }),
    rejected: new Counter({ name: 'waystation_events_rejected_total', help: 'Events stored as rejected records', labelNames: ['reason'] as const, registers }),
    refused: new Counter({ name: 'waystation_messages_refused_total', help: 'Publishes refused without PUBACK (device keeps and resends)', labelNames: ['reason'] as const, registers }),
    retries: new Counter({ name: 'waystation_influx_write_retries_total', help: 'InfluxDB writes retried after a retryable failure', registers }),
    batchPoints: new Histogram({ name: 'waystation_influx_batch_points', help: 'Points per InfluxDB write', buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000], registers }),
    writeSeconds: new Histogram({ name: 'waystation_influx_write_seconds', help: 'Duration of successful InfluxDB writes', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers }),
    pendingPoints: new Gauge({ name: 'waystation_ingest_pending_points', help: 'Points waiting for or in an InfluxDB write', registers, collect () { this.set(sources.pendingPoints()) } }),
    connectedClients: new Gauge({ name: 'waystation_mqtt_connected_clients', help: 'MQTT clients connected to this broker', registers, collect () { this.set(sources.connectedClients()) } }),
    connectionsRefused: new Counter({ name: 'waystation_mqtt_connections_refused_total', help: 'MQTT connections refused', labelNames: ['reason'] as const, registers }),
    readsPaused: new Counter({ name: 'waystation_mqtt_reads_paused_total', help: 'Times a client was not read because its unsent output exceeded MQTT_MAX_UNSENT_BYTES', registers }),
    slowReadersClosed: new Counter({ name: 'waystation_mqtt_slow_readers_closed_total', help: 'Connections closed because their unsent output stayed above MQTT_MAX_UNSENT_BYTES for MQTT_UNSENT_TIMEOUT_MS', registers }),
    orphanWills: new Counter({ name: 'waystation_mqtt_orphan_wills_total', help: 'Wills of clients of a dead broker: published (stored first), refused (deleted unpublished), not_stored (kept for the next sweep)', labelNames: ['outcome'] as const, registers }),
    brokerErrors: new Counter({ name: 'waystation_broker_errors_total', help: "Errors Aedes emitted on the broker itself (logged; the broker keeps running)", registers })
  }
}

export type Metrics = ReturnType<typeof createMetrics>

/** A fixed reason code for a rejection, from the reason text ingest records. */
export function rejectionCode (reason: string): string {
  const r = reason.replace(/^batch(?: events\[\d+\])?: /, '')
  if (r.startsWith('invalid JSON')) return 'invalid_json'
  if (r.startsWith('payload too large')) return 'too_large'
  if (r.startsWith('InfluxDB refused')) return 'store_refused'
  if (r.startsWith('device "')) return 'device_mismatch'
  if (r.startsWith('cannot encode')) return 'encode'
  if (reason.startsWith('batch: ') || r.startsWith('batch')) return 'batch_envelope'
  return 'schema'
}

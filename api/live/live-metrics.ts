// Prometheus metrics of the live view, registered in the process's registry (served at
// /metrics). Looked up before being created: an app built twice on one registry (tests, a
// restart in process) shares them instead of failing on a duplicate name.
import { Counter, Gauge, type Registry } from 'prom-client'

function once<T> (registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

export function createLiveMetrics (registry: Registry) {
  const registers = [registry]
  return {
    connections: once(registry, 'waystation_live_sse_connections', () =>
      new Gauge({ name: 'waystation_live_sse_connections', help: 'Open GET /live/stream connections', registers })),
    pushed: once(registry, 'waystation_live_sse_events_pushed_total', () =>
      new Counter({ name: 'waystation_live_sse_events_pushed_total', help: 'Station events written to SSE clients (one per client and event)', registers })),
    streams: once(registry, 'waystation_live_sse_streams_total', () =>
      new Counter({ name: 'waystation_live_sse_streams_total', help: 'GET /live/stream connections, by how they started: snapshot (new), resumed (missed events replayed), resume_refused (id unknown or too old: snapshot)', labelNames: ['start'] as const, registers }))
  }
}

export type LiveMetrics = ReturnType<typeof createLiveMetrics>

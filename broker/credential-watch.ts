import type { Aedes, Client } from 'aedes'
import type { Logger } from '../platform/logger.ts'
import type { Registry } from '../registry/open-registry.ts'
import type { Sessions } from './sessions.ts'

/**
 * Drops live connections whose credential was revoked or rotated, or whose station was
 * suspended or retired; for a service, also when its scope or permission changed (or a station
 * joined or left its district): it reconnects and its scope is resolved again. The CLI and the
 * API may run in other processes, so the broker polls the registry's change feed (one indexed
 * query per interval) instead of waiting for an in-process event.
 */
export function createCredentialWatch (deps: { aedes: Aedes, registry: Registry, sessions: Sessions, intervalMs: number, logger: Logger }) {
  const { aedes, registry, sessions, logger } = deps
  let lastSeq = registry.lastChangeSeq()

  function clients (): Client[] {
    return Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)
  }

  function poll (): void {
    let changes
    try {
      changes = registry.changesSince(lastSeq)
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'cannot read credential changes')
      return
    }
    for (const change of changes) {
      lastSeq = change.seq
      for (const client of clients()) {
        const s = sessions.get(client)
        if (!s) continue
        if (s.principal === 'service') {
          if (s.serviceId !== change.service_id) continue
          logger.warn({ service: s.serviceId, change: change.change }, 'service credential or scope changed: closing connection')
        } else {
          if (change.service_id !== null) continue
          const hit = change.device_id === null ? s.stationId === change.station_id : s.deviceId === change.device_id
          if (!hit) continue
          logger.warn({ device: s.deviceId, station: s.stationId, change: change.change }, 'credential changed: closing connection')
        }
        client.close()
      }
    }
  }

  const timer = setInterval(poll, deps.intervalMs)
  timer.unref()
  return { poll, close: () => clearInterval(timer) }
}

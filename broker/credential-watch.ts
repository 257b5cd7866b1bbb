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
  // Where the feed stands now: changes before the broker started concern no connection of it.
  // Read at once (not at the first poll); should it fail, the next poll reads it instead.
  let lastSeq: number | null = null
  const started = registry.lastChangeSeq().then((seq) => { lastSeq = seq }, (err: Error) => {
    logger.error({ err: err.message }, 'cannot read the credential change feed; retrying at the next poll')
  })
  // One poll at a time: a slow read must not let two polls apply the same changes.
  let polling: Promise<void> | null = null

  function clients (): Client[] {
    return Object.values((aedes as unknown as { clients: Record<string, Client> }).clients)
  }

  /** Reads the feed once and drops what it concerns; resolves when done (never rejects). */
  function poll (): Promise<void> {
    polling ??= readChanges().finally(() => { polling = null })
    return polling
  }

  async function readChanges (): Promise<void> {
    let changes
    try {
      await started
      if (lastSeq === null) {
        lastSeq = await registry.lastChangeSeq()
        return
      }
      changes = await registry.changesSince(lastSeq)
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

  const timer = setInterval(() => { void poll() }, deps.intervalMs)
  timer.unref()
  return { poll, close: () => clearInterval(timer) }
}

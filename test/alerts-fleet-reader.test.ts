// The alert evaluator's fleet refresh (alerts/start-alerts.ts createFleetReader) reads the
// stations and presence only when the registry changed: an idle registry costs the change
// token, a presence flush re-reads presence (not the stations), a station change both. The
// evaluator sees every change as before. Real registry file; reads counted by a wrapper. On
// SQLite only: PostgreSQL's token moves with any write to the server, which the other test
// files running at the same time make, so "no re-read" could not be asserted there.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { createEvaluator } from '../alerts/evaluator.ts'
import { createFleetReader, type FleetRegistry } from '../alerts/start-alerts.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry, type Registry } from '../registry/open-registry.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

/** The registry with its station listings and presence reads counted. */
function counted (registry: Registry) {
  const reads = { stations: 0, presence: 0 }
  const wrapped: FleetRegistry = {
    changeToken: registry.changeToken,
    stations: { ...registry.stations, list: (filter) => { reads.stations++; return registry.stations.list(filter) } },
    presence: { ...registry.presence, devices: () => { reads.presence++; return registry.presence.devices() } }
  }
  return { reads, wrapped }
}

test('the evaluator re-reads the fleet only when the registry changed, and sees every change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ws-fleet-reader-'))
  dirs.push(dir)
  const registry = openRegistry(join(dir, 'registry.sqlite'))
  try {
    await registry.addStation({ id: 's1', name: 'S1', district: 'futian', capacity: 4 })
    await registry.addDevice('s1', 's1-hub')
    const { reads, wrapped } = counted(registry)
    const clock = { now: Date.now() }
    const e = createEvaluator({
      alerts: registry.alerts, settings: registry.alertSettings, transaction: registry.transaction, clock: () => clock.now, logger: createLogger('silent'),
      fleet: createFleetReader(wrapped)
    })
    await e.load()
    await e.refresh()
    expect(reads).toEqual({ stations: 1, presence: 1 })
    expect(e.stations().get('s1')).toMatchObject({ capacity: 4 })

    // Nothing changed: the last fleet again.
    await e.refresh()
    await e.refresh()
    expect(reads).toEqual({ stations: 1, presence: 1 })

    // A presence flush: presence is read again, the stations are not; the evaluator sees it.
    const seenAt = new Date(clock.now).toISOString()
    await registry.presence.record([{ deviceId: 's1-hub', brokerId: 'b-1', connected: true, lastSeenAt: seenAt, connectedAt: seenAt }])
    await e.refresh()
    expect(reads).toEqual({ stations: 1, presence: 2 })
    expect(e.stations().get('s1')!.devices.get('s1-hub')).toMatchObject({ connected: true, presenceSeenAt: Date.parse(seenAt) })
    await e.refresh()
    expect(reads).toEqual({ stations: 1, presence: 2 })

    // A station change (through another connection, as the CLI): both are read again.
    const cli = openRegistry(join(dir, 'registry.sqlite'))
    await cli.stations.update('s1', { capacity: 9 })
    await cli.close()
    await e.refresh()
    expect(reads).toEqual({ stations: 2, presence: 3 })
    expect(e.stations().get('s1')).toMatchObject({ capacity: 9 })

    // A station added, and one suspended: the evaluator learns and drops them as before.
    await registry.addStation({ id: 's2', name: 'S2', district: 'futian', capacity: 2 })
    await registry.stations.update('s1', { status: 'suspended' })
    await e.refresh()
    expect(reads).toEqual({ stations: 3, presence: 4 })
    expect([...e.stations().keys()]).toEqual(['s2'])
  } finally {
    await registry.close()
  }
})

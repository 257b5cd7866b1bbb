// The live view's registry poll reads the registry only when something may have changed
// (registry.changeToken): an idle fleet costs two statements per poll, not every station and
// device. What time alone changes (local midnight) still reaches the live view.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { createLiveStore, type LiveRegistry } from '../api/live/live-store.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { openTestRegistry } from './support/test-registry.ts'

const dir = mkdtempSync(join(tmpdir(), 'waystation-live-poll-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function counted (registry: ReturnType<typeof openRegistry>) {
  const reads = { stations: 0, devices: 0 }
  const live: LiveRegistry = {
    listStations: () => { reads.stations++; return registry.listStations() },
    presence: { allDevices: () => { reads.devices++; return registry.presence.allDevices() } },
    alerts: registry.alerts,
    changeToken: registry.changeToken
  }
  return { live, reads }
}

test('reads the registry again only after a change, by this connection or another (the CLI, a worker)', async () => {
  const path = join(dir, 'registry.sqlite')
  const registry = openRegistry(path)
  await registry.addStation({ id: 'p-1', name: 'One' })
  const { live, reads } = counted(registry)
  const store = createLiveStore({ registry: live, offlineAfterMs: 60_000, pollMs: 3_600_000, onChange: () => {} })
  try {
    await store.ready
    expect(reads).toEqual({ stations: 1, devices: 1 })
    for (let i = 0; i < 5; i++) await store.sync()
    expect(reads).toEqual({ stations: 1, devices: 1 }) // nothing changed: nothing read

    await registry.addStation({ id: 'p-2', name: 'Two' }) // this connection
    await store.sync()
    expect(reads.stations).toBe(2)
    expect(store.get('p-2')?.meta.name).toBe('Two')
    await store.sync()
    expect(reads.stations).toBe(2)

    const cli = openRegistry(path) // another connection, as `waystation stations add` has
    await cli.addStation({ id: 'p-3', name: 'Three' })
    await cli.devices.add('p-3', 'p-3-door', 'door')
    cli.close()
    await store.sync()
    expect(reads.stations).toBe(3)
    expect(store.get('p-3')?.meta.name).toBe('Three')
    expect([...store.get('p-3')!.devices.keys()]).toEqual(['p-3-door'])
  } finally {
    store.close()
    registry.close()
  }
})

test('local midnight still starts a new day when the registry has not changed', async () => {
  const registry = await openTestRegistry()
  await registry.addStation({ id: 'm-1', name: 'Midnight', timezone: 'Asia/Shanghai' })
  const { live, reads } = counted(registry)
  let t = Date.now()
  const store = createLiveStore({ registry: live, offlineAfterMs: 60_000, pollMs: 3_600_000, now: () => t, onChange: () => {} })
  try {
    await store.ready
    const today = store.get('m-1')!.today.date
    t += 86_400_000
    await store.sync()
    expect(reads.stations).toBe(1)
    expect(store.get('m-1')!.today.date).not.toBe(today)
  } finally {
    store.close()
    registry.close()
  }
})

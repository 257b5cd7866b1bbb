// The live state's rebuild at province scale: stations with no recent data are looked up again
// over the lookback, and that second pass must not put a whole province into one GET URL
// (InfluxDB answered 431 Request Header Fields Too Large at 10,000 stations).
import { expect, inject, test } from 'vitest'
import { createLiveService } from '../api/live/live-service.ts'
import { createInfluxClient } from '../api/main.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { influxQueryFn } from '../rollups/influx-query.ts'

test('rebuilds 6,000 stations, finding a value older than the first pass for one of them', async () => {
  const registry = openRegistry(':memory:')
  const ids = Array.from({ length: 6000 }, (_, i) => `province-station-${String(i).padStart(5, '0')}`)
  await registry.transaction(async () => { for (const id of ids) await registry.addStation({ id, name: id, capacity: 10 }) })
  const db = 'live_rebuild_scale'
  const influx = createInfluxClient({ INFLUX_URL: inject('influxUrl'), INFLUX_DB: db })
  await influx.createDatabase(db)
  // Six hours ago: past the first pass (2 h), inside the lookback (30 days).
  const at = Date.now() - 6 * 3_600_000
  const target = ids[4321]!
  await influx.writePoints([{ measurement: 'occupancy', tags: { station: target, device: `${target}-door` }, fields: { count: 3, seq: 1 }, timestamp: new Date(at) }], { precision: 'ms' })

  const live = createLiveService({ registry, query: influxQueryFn(influx), logger: createLogger('silent'), offlineAfterSeconds: 300 })
  const result = await live.rebuild()
  expect(result.stations).toBe(6000)
  expect(result.secondPass).toBe(6000)
  expect(live.store.get(target)?.occupancy).toMatchObject({ value: 3 })
  expect(live.store.get(ids[0]!)?.occupancy).toBeNull()
  live.close()
  registry.close()
}, 120_000)

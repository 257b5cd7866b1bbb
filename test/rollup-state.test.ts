// The rollup state (rollups/rollup-state.ts) on both registry dialects: dirty marks, the
// first-seen index (earliest entry wins, ties keep the record there), meta, station settings,
// a new InfluxDB source starting empty; on PostgreSQL, two nodes' handles share one state; an
// old SQLite file keeps its data through the table renames.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterAll, describe, expect, test } from 'vitest'
import { createPostgresDb } from '../registry/db/pg-db.ts'
import { openRollupState, openRollupStateOn } from '../rollups/rollup-state.ts'
import { createTestPostgresDatabase } from './support/postgres.ts'
import { openTestSqlDb, SQL_DIALECTS } from './support/sql-dbs.ts'

const dir = mkdtempSync(join(tmpdir(), 'waystation-rollup-state-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.each(SQL_DIALECTS)('%s', (dialect) => {
  test('marks, the first-seen index, meta and settings; another source starts empty', async () => {
    const t = await openTestSqlDb(dialect, { migrate: false })
    try {
      const state = await openRollupStateOn(t.db, { source: 'influx-a' })
      // Many at once: more than one statement's chunk.
      const many = Array.from({ length: 1200 }, (_, i) => ({ station: `s-${i % 7}`, date: `2026-01-${String(1 + (i % 28)).padStart(2, '0')}` }))
      await state.markDirty([...many, { station: 's-0', date: '2026-01-01' }], 1000)
      const unique = new Set(many.map((d) => `${d.station} ${d.date}`))
      expect(await state.dirty()).toHaveLength(unique.size)
      expect(await state.dirtyBetween('2026-01-01', '2026-01-01', 's-0')).toEqual([{ station: 's-0', date: '2026-01-01' }])
      await state.clearDirty(many.filter((d) => d.station !== 's-0'))
      expect(new Set((await state.dirty()).map((d) => d.station))).toEqual(new Set(['s-0']))

      const big = 1_790_000_000_000 // ms timestamps need more than 32 bits
      expect(await state.recordFirstSeen('s-1', new Map([['w_1', big + 50], ['w_2', big + 10]]))).toEqual([])
      // Earlier entry elsewhere replaces (and reports) the record; a later one or a tie does not.
      expect(await state.recordFirstSeen('s-2', new Map([['w_1', big + 20], ['w_2', big + 10]]))).toEqual([{ station: 's-1', at: big + 50 }])
      expect(await state.firstSeen(['w_1', 'w_2', 'w_3'])).toEqual(new Map([['w_1', { station: 's-2', at: big + 20 }], ['w_2', { station: 's-1', at: big + 10 }]]))
      const workers = Array.from({ length: 1100 }, (_, i) => `w_x${i}`)
      await state.recordFirstSeen('s-3', new Map(workers.map((w, i) => [w, big + i])))
      expect((await state.firstSeen(workers)).size).toBe(1100)

      await state.setMeta('rollup_policy', 'rollups')
      await state.setMeta('rollup_policy', 'rollups2')
      expect(await state.meta('rollup_policy')).toBe('rollups2')
      expect(await state.meta('nothing')).toBeNull()
      await state.saveStationSettings([['s-1', '{"a":1}'], ['s-2', '{"b":2}']])
      await state.saveStationSettings([['s-1', '{"a":3}']])
      expect(await state.stationSettings()).toEqual(new Map([['s-1', '{"a":3}'], ['s-2', '{"b":2}']]))

      // Opened again for the same InfluxDB: all kept (the schema set-up is a no-op).
      const again = await openRollupStateOn(t.db, { source: 'influx-a' })
      expect(await again.dirty()).not.toEqual([])
      expect(await again.meta('rollup_policy')).toBe('rollups2')
      // For another InfluxDB database: nothing of the old one.
      const other = await openRollupStateOn(t.db, { source: 'influx-b' })
      expect(await other.dirty()).toEqual([])
      expect(await other.firstSeen(['w_1'])).toEqual(new Map())
      expect(await other.stationSettings()).toEqual(new Map())
      expect(await other.meta('rollup_policy')).toBeNull()
      expect(await other.meta('source')).toBe('influx-b')
    } finally {
      await t.dispose()
    }
  })
})

test('postgres: two nodes\' handles on one database share the marks and the index, and may set it up at the same time', async () => {
  const database = await createTestPostgresDatabase('rollup_state')
  const a = createPostgresDb(database.url)
  const b = createPostgresDb(database.url)
  try {
    const [onA, onB] = await Promise.all([openRollupStateOn(a, { source: 'x' }), openRollupStateOn(b, { source: 'x' })])
    await onA.markDirty([{ station: 's', date: '2026-02-01' }])
    expect(await onB.dirty()).toEqual([{ station: 's', date: '2026-02-01' }])
    await onB.recordFirstSeen('s', new Map([['w_9', 5]]))
    expect(await onA.firstSeen(['w_9'])).toEqual(new Map([['w_9', { station: 's', at: 5 }]]))
    // Both record the same worker at once: the earlier entry wins whatever the order.
    await Promise.all([onA.recordFirstSeen('late', new Map([['w_10', 20]])), onB.recordFirstSeen('early', new Map([['w_10', 10]]))])
    expect(await onA.firstSeen(['w_10'])).toEqual(new Map([['w_10', { station: 'early', at: 10 }]]))
  } finally {
    await a.close()
    await b.close()
    await database.drop()
  }
})

test('sqlite: a state file of an earlier release keeps its marks and index through the renames', async () => {
  const path = join(dir, 'old.sqlite')
  const old = new DatabaseSync(path)
  old.exec(`CREATE TABLE dirty (station TEXT NOT NULL, date TEXT NOT NULL, marked_at INTEGER NOT NULL, PRIMARY KEY (station, date)) STRICT, WITHOUT ROWID;
    CREATE TABLE first_seen (worker TEXT PRIMARY KEY, station TEXT NOT NULL, at INTEGER NOT NULL) STRICT, WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE station_settings (station TEXT PRIMARY KEY, settings TEXT NOT NULL) STRICT, WITHOUT ROWID;
    INSERT INTO dirty VALUES ('s', '2026-03-01', 1); INSERT INTO first_seen VALUES ('w_1', 's', 7);
    INSERT INTO meta VALUES ('source', 'db'); INSERT INTO meta VALUES ('rollup_policy', 'rollups');
    PRAGMA user_version = 2;`)
  old.close()
  const state = await openRollupState(path, { source: 'db' })
  expect(await state.dirty()).toEqual([{ station: 's', date: '2026-03-01' }])
  expect(await state.firstSeen(['w_1'])).toEqual(new Map([['w_1', { station: 's', at: 7 }]]))
  expect(await state.meta('rollup_policy')).toBe('rollups')
  await state.close()
  const reader = await openRollupState(path, { readOnly: true })
  expect(await reader.dirty()).toEqual([{ station: 's', date: '2026-03-01' }])
  await expect(reader.markDirty([{ station: 's', date: '2026-03-02' }])).rejects.toThrow(/read-only/)
  await reader.close()
})

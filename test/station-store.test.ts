// The station store (registry/station-store.ts) and the CSV import on both registry dialects:
// add/get/list/update/suspend, the list's filters, unicode names and districts, the list in the
// ids' byte order (also on a PostgreSQL database created with a language collation), and an
// import that fails at row N leaving nothing behind, as admin.importStations runs it.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { describe, expect, inject, test } from 'vitest'
import { migrateSql } from '../registry/db/migrate-sql.ts'
import { createPostgresDb } from '../registry/db/pg-db.ts'
import type { SqlDb } from '../registry/db/sql-db.ts'
import { createScopedDb } from '../registry/scoped-db.ts'
import { parseStationCsv } from '../registry/station-import.ts'
import { createStationStore } from '../registry/station-store.ts'
import { openTestSqlDb, SQL_DIALECTS } from './support/sql-dbs.ts'

// Byte order: '-' (0x2d) < '0'-'9' < 'a'-'z'. A language collation ignores the '-' at first and
// would put 'a-2' after 'a10'.
const IDS_IN_BYTE_ORDER = ['a-2', 'a1', 'a10', 'b-1', 'b0']

async function withDb (dialect: typeof SQL_DIALECTS[number], fn: (db: SqlDb) => Promise<void>): Promise<void> {
  const t = await openTestSqlDb(dialect)
  try {
    await fn(t.db)
  } finally {
    await t.dispose()
  }
}

/** All or nothing, as admin.importStations: parse (one lookup of the ids), then every add in one transaction. */
async function importCsv (db: SqlDb, csv: string) {
  const stations = createStationStore(db)
  const rows = await parseStationCsv(csv, stations.existing)
  return db.transaction(async () => {
    const created = []
    for (const row of rows) created.push(await stations.add(row))
    return created
  })
}

describe.each(SQL_DIALECTS)('%s', (dialect) => {
  test('add, get, list, update, suspend; conflicts and bad input refused', () => withDb(dialect, async (db) => {
    const stations = createStationStore(db)
    const s = await stations.add({ id: 'sz-futian-001', name: '福田区爱心驿站 1 号', address: '深圳市福田区福华路 8 号', district: '福田区', lat: 22.5431, lon: 114.0579, capacity: 12, areaM2: 18.5, amenities: ['ac', 'water_dispenser'] })
    expect(s).toMatchObject({ id: 'sz-futian-001', name: '福田区爱心驿站 1 号', district: '福田区', lat: 22.5431, lon: 114.0579, capacity: 12, areaM2: 18.5, status: 'active', timezone: 'Asia/Shanghai', datum: 'wgs84', openingHours: '24h', amenities: ['ac', 'water_dispenser'], updatedAt: null })
    expect(typeof s.capacity).toBe('number')
    expect(await stations.get('sz-futian-001')).toEqual(s)
    expect(await stations.get('nope')).toBeNull()
    expect(await stations.get("'; DROP TABLE stations; --")).toBeNull()
    await expect(stations.add({ id: 'sz-futian-001', name: 'again' })).rejects.toThrow(/already exists/)
    await expect(stations.add({ id: 'Bad Id', name: 'x' })).rejects.toThrow(/station id/)
    await expect(stations.add({ id: 'x-1', name: 'x', timezone: 'Mars/Olympus' })).rejects.toThrow(/timezone/)
    // Two adds of one id at once: one station, one conflict.
    const both = await Promise.allSettled([stations.add({ id: 'race-1', name: 'A' }), stations.add({ id: 'race-1', name: 'B' })])
    expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(String((both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toMatch(/station race-1 already exists/)

    const hours = [{ days: [1, 2, 3, 4, 5], open: '06:00', close: '22:00' }]
    const [before, after] = await stations.update('sz-futian-001', { name: '福田区爱心驿站（新）', district: '南山区', lat: -33.8688, lon: 151.2093, capacity: 8, openingHours: hours })
    expect(before).toEqual(s)
    expect(after).toMatchObject({ name: '福田区爱心驿站（新）', district: '南山区', lat: -33.8688, lon: 151.2093, capacity: 8, openingHours: hours, address: s.address, status: 'active' })
    expect(after.updatedAt).not.toBeNull()
    const [, suspended] = await stations.update('sz-futian-001', { status: 'suspended' })
    expect(suspended.status).toBe('suspended')
    expect(await stations.get('sz-futian-001')).toEqual(suspended)
    await expect(stations.update('nope', { name: 'x' })).rejects.toThrow(/not found/)
    await expect(stations.update('race-1', { capacity: -1 })).rejects.toThrow(/capacity/)
    expect((await stations.get('race-1'))!.capacity).toBe(10) // unchanged
  }))

  test('list: by id in byte order, filtered by status and district (exactly, unicode included)', () => withDb(dialect, async (db) => {
    const stations = createStationStore(db)
    const districts = ['福田区', '福田', '南山区', 'Futian', 'futian']
    for (const [i, id] of [...IDS_IN_BYTE_ORDER].reverse().entries()) {
      await stations.add({ id, name: `驿站 ${id} ☕`, district: districts[i % districts.length]! })
    }
    await stations.update('a10', { status: 'retired' })
    const all = await stations.list()
    expect(all.map((s) => s.id)).toEqual(IDS_IN_BYTE_ORDER)
    expect(all.find((s) => s.id === 'b0')).toMatchObject({ name: '驿站 b0 ☕', district: '福田区' })
    expect((await stations.list({ district: '福田区' })).map((s) => s.id)).toEqual(['b0'])
    expect((await stations.list({ district: 'futian' })).map((s) => s.id)).toEqual(['a-2'])
    expect((await stations.list({ district: 'Futian' })).map((s) => s.id)).toEqual(['a1'])
    expect((await stations.list({ status: 'retired' })).map((s) => s.id)).toEqual(['a10'])
    expect((await stations.list({ status: 'active', district: '南山区' })).map((s) => s.id)).toEqual([])
    expect((await stations.list({ status: 'retired', district: '南山区' })).map((s) => s.id)).toEqual(['a10'])
    expect(await stations.existing(['b0', 'zz', 'Bad Id', 'a-2'])).toEqual(new Set(['b0', 'a-2']))
  }))

  test('a CSV import is all or nothing: a bad row N, or a station added meanwhile, leaves nothing', () => withDb(dialect, async (db) => {
    const sql = createScopedDb(db)
    const stations = createStationStore(sql)
    await stations.add({ id: 'exists-1', name: 'Already here' })
    const header = 'id,name,district,lat,lon,capacity'
    const good = Array.from({ length: 30 }, (_, i) => `imp-${String(i).padStart(2, '0')},福田区驿站 ${i},福田区,22.54,114.05,${4 + i}`)

    // Row 21 of the file (line 22) is bad, and line 26 names a station that exists.
    const bad = [...good]
    bad[20] = 'imp-20,Bad,福田区,95,114.05,4'
    bad[24] = 'exists-1,Again,福田区,,,4'
    const err = await importCsv(sql, [header, ...bad].join('\n')).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toMatch(/nothing imported; 2 bad row\(s\):\nline 22 \(imp-20\): lat[^\n]*\nline 26: station exists-1 already exists$/)
    expect((await stations.list()).map((s) => s.id)).toEqual(['exists-1'])

    // Valid when parsed, but one id is taken before the adds run (another admin, the CLI):
    // the adds before it are rolled back with it.
    const rows = await parseStationCsv([header, ...good].join('\n'), stations.existing)
    await stations.add({ id: 'imp-17', name: 'Meanwhile' })
    await expect(sql.transaction(async () => { for (const row of rows) await stations.add(row) })).rejects.toThrow(/imp-17 already exists/)
    expect((await stations.list()).map((s) => s.id)).toEqual(['exists-1', 'imp-17'])

    const created = await importCsv(sql, [header, ...good.filter((l) => !l.startsWith('imp-17'))].join('\n'))
    expect(created).toHaveLength(29)
    expect((await stations.get('imp-29'))).toMatchObject({ name: '福田区驿站 29', district: '福田区', lat: 22.54, lon: 114.05, capacity: 33 })
    expect(await stations.list({ district: '福田区' })).toHaveLength(29)
  }))

  test('version: moves with every add, update and import (committed ones only), not with reads', () => withDb(dialect, async (db) => {
    const sql = createScopedDb(db)
    const stations = createStationStore(sql)
    expect(await stations.version()).toBe(0)
    await stations.add({ id: 'v-1', name: 'One' })
    const v1 = await stations.version()
    expect(v1).toBeGreaterThan(0)
    await stations.get('v-1'); await stations.list(); await stations.existing(['v-1'])
    expect(await stations.version()).toBe(v1) // reads leave it
    await stations.update('v-1', { name: 'One (renamed)' })
    const v2 = await stations.version()
    expect(v2).toBeGreaterThan(v1)
    // Refused writes leave it too: a conflict, an unknown id, bad input.
    await expect(stations.add({ id: 'v-1', name: 'again' })).rejects.toThrow(/already exists/)
    await expect(stations.update('nope', { name: 'x' })).rejects.toThrow(/not found/)
    await expect(stations.update('v-1', { capacity: -1 })).rejects.toThrow(/capacity/)
    expect(await stations.version()).toBe(v2)
    // An import that fails is rolled back with its version; one that succeeds moves it.
    const header = 'id,name'
    await expect(importCsv(sql, [header, 'v-2,Two', 'v-3,Three', 'v-1,Dup'].join('\n'))).rejects.toThrow(/already exists/)
    expect(await stations.version()).toBe(v2)
    expect(await importCsv(sql, [header, 'v-2,Two', 'v-3,Three'].join('\n'))).toHaveLength(2)
    const v3 = await stations.version()
    expect(v3).toBeGreaterThan(v2)
    // The version is the registry's, not this store object's: a second store sees the same.
    expect(await createStationStore(sql).version()).toBe(v3)
  }))
})

// A production PostgreSQL is not necessarily created with C collation as the tests' databases
// are: the list must still come back in byte order. The machine has no glibc language locale;
// ICU's en-US with punctuation ignorable at first (ka-shifted) sorts as glibc's en_US.UTF-8 does.
test('postgres: the list is in byte order on a database created with a language (ICU) collation', async () => {
  const name = `stations_icu_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: inject('postgresUrl') })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US-u-ka-shifted' LOCALE 'C'`)
    const url = new URL(inject('postgresUrl'))
    url.pathname = `/${name}`
    const db = createPostgresDb(url.toString())
    try {
      await migrateSql(db)
      // The database's own order differs (what the store would return without COLLATE "C").
      const plain = await db.all<{ id: string }>(`SELECT id FROM (VALUES ${IDS_IN_BYTE_ORDER.map((id) => `('${id}')`).join(', ')}) AS v(id) ORDER BY id`)
      expect(plain.map((r) => r.id)).not.toEqual(IDS_IN_BYTE_ORDER)
      const stations = createStationStore(db)
      for (const id of [...IDS_IN_BYTE_ORDER].reverse()) await stations.add({ id, name: id })
      expect((await stations.list()).map((s) => s.id)).toEqual(IDS_IN_BYTE_ORDER)
    } finally {
      await db.close()
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {})
    await admin.end()
  }
})

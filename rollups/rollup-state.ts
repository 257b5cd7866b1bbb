// The rollup job's state: which station-days wait for a recompute, so a crash does not lose
// them, and the first-seen index (worker pseudonym → first entry), which first-time-visitor
// figures need and raw events cannot give cheaply. It holds pseudonyms as devices send them
// ("w_" + hex) and nothing else about people.
//
// Where it lives: with the embedded SQLite registry, in a file of its own next to it (one host,
// so one index); with a PostgreSQL registry, in that database, so that whichever node holds
// the rollup lease sees the same marks and the same index (issue 15: a per-host file split the
// index across nodes and counted workers as first-time visitors twice).
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { SqlDb } from '../registry/db/sql-db.ts'
import { createSqliteDb } from '../registry/db/sqlite-db.ts'
import type { FirstSeen } from './compute-days.ts'
import { migrateRollupState } from './rollup-state-schema.ts'

export type DirtyDay = { station: string, date: string }
export type RollupState = Awaited<ReturnType<typeof openRollupStateOn>>

export type OpenStateOptions = {
  /** The API of a separate process only reads. */
  readOnly?: boolean
  /** InfluxDB the state belongs to (url + database): a different one starts from scratch. */
  source?: string
}

// A statement binds at most a few hundred workers at a time (SQLite allows 32,766 variables,
// postgres 65,535; smaller keeps each statement cheap to plan).
const LOOKUP_CHUNK = 500
// rollup_meta key prefix of the per-month generation tokens.
const MONTH_GENERATION = 'month_generation:'

/** The state in a SQLite file of its own (the embedded registry's case). */
export async function openRollupState (path: string, opts: OpenStateOptions = {}): Promise<RollupState> {
  if (!opts.readOnly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const raw = new DatabaseSync(path, opts.readOnly ? { readOnly: true } : {})
  raw.exec('PRAGMA busy_timeout = 5000')
  if (!opts.readOnly) raw.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL')
  return await openRollupStateOn(createSqliteDb(raw), opts)
}

/** null when readOnly and the file does not exist (no rollup job has run here). */
export async function openRollupStateIfExists (path: string): Promise<RollupState | null> {
  return existsSync(path) ? await openRollupState(path, { readOnly: true }) : null
}

/** The state in a database the caller opened (a PostgreSQL registry, or a SQLite file). */
export async function openRollupStateOn (db: SqlDb, opts: OpenStateOptions = {}) {
  if (!opts.readOnly) {
    await migrateRollupState(db)
    if (opts.source !== undefined) {
      const source = opts.source
      await db.transaction(async (tx) => {
        const row = await tx.get<{ value: string }>("SELECT value FROM rollup_meta WHERE key = 'source'")
        if (row && row.value !== source) {
          for (const table of ['rollup_dirty', 'rollup_first_seen', 'rollup_station_settings']) await tx.run(`DELETE FROM ${table}`)
          await tx.run("DELETE FROM rollup_meta WHERE key NOT IN ('source', 'schema_version')")
        }
        await setMetaOn(tx, 'source', source)
      })
    }
  }

  function writable (): SqlDb {
    if (opts.readOnly) throw new Error('rollup state opened read-only')
    return db
  }

  async function firstSeenOn (on: SqlDb, workers: readonly string[]): Promise<Map<string, FirstSeen>> {
    const out = new Map<string, FirstSeen>()
    for (let i = 0; i < workers.length; i += LOOKUP_CHUNK) {
      const chunk = workers.slice(i, i + LOOKUP_CHUNK)
      const rows = await on.all<{ worker: string, station: string, at: number }>(
        `SELECT worker, station, at FROM rollup_first_seen WHERE worker IN (${chunk.map(() => '?').join(', ')})`, chunk)
      for (const r of rows) out.set(r.worker, { station: r.station, at: Number(r.at) })
    }
    return out
  }

  return {
    dialect: db.dialect,
    // One statement per chunk, each atomic on its own: with SQLite and no transaction open it
    // runs before the call returns, so the mark of a stored event is on disk before its PUBACK
    // as it always was; a crash between two chunks only leaves marks the start-up sweep or a
    // later mark redoes.
    markDirty: async (days: readonly DirtyDay[], now = Date.now()): Promise<void> => {
      const on = writable()
      for (let i = 0; i < days.length; i += LOOKUP_CHUNK) {
        const chunk = days.slice(i, i + LOOKUP_CHUNK)
        await on.run(`INSERT INTO rollup_dirty (station, date, marked_at) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT (station, date) DO NOTHING`,
          chunk.flatMap((d) => [d.station, d.date, now]))
      }
    },
    clearDirty: async (days: readonly DirtyDay[]): Promise<void> => {
      const on = writable()
      for (let i = 0; i < days.length; i += LOOKUP_CHUNK) {
        const chunk = days.slice(i, i + LOOKUP_CHUNK)
        await on.run(`DELETE FROM rollup_dirty WHERE ${chunk.map(() => '(station = ? AND date = ?)').join(' OR ')}`, chunk.flatMap((d) => [d.station, d.date]))
      }
    },
    dirty: () => db.all<DirtyDay>('SELECT station, date FROM rollup_dirty ORDER BY station, date'),
    /** Dirty days with from <= date <= to, at one station or at any. */
    dirtyBetween: (from: string, to: string, station?: string): Promise<DirtyDay[]> => station === undefined
      ? db.all<DirtyDay>('SELECT station, date FROM rollup_dirty WHERE date >= ? AND date <= ? ORDER BY station, date', [from, to])
      : db.all<DirtyDay>('SELECT station, date FROM rollup_dirty WHERE station = ? AND date >= ? AND date <= ? ORDER BY date', [station, from, to]),
    firstSeen: (workers: readonly string[]) => firstSeenOn(db, workers),
    /**
     * Records the earliest entries of a batch (keeping the earlier of old and new) and returns
     * the records they replaced: those days lose a first-time visitor and need a recompute.
     */
    recordFirstSeen: (station: string, entries: ReadonlyMap<string, number>): Promise<FirstSeen[]> => writable().transaction(async (tx) => {
      const replaced: FirstSeen[] = []
      const known = await firstSeenOn(tx, [...entries.keys()])
      for (const [worker, at] of entries) {
        const old = known.get(worker)
        // Ties keep the record already there, so two stations never take it from each other;
        // the condition also holds against a concurrent writer (postgres, READ COMMITTED).
        if (old && old.at <= at) continue
        await tx.run(`INSERT INTO rollup_first_seen (worker, station, at) VALUES (?, ?, ?)
          ON CONFLICT (worker) DO UPDATE SET station = excluded.station, at = excluded.at WHERE excluded.at < rollup_first_seen.at`, [worker, station, at])
        if (old) replaced.push(old)
      }
      return replaced
    }),
    /**
     * A token that changes whenever the job writes a monthly rollup of `month` (YYYY-MM, the
     * stations' local month): the API's cache of fleet answers (api/fleet-cache/) is valid while
     * it stays the same. null: never written (or the state was reset), also a value to compare.
     */
    monthGeneration: async (month: string): Promise<string | null> =>
      (await db.get<{ value: string }>('SELECT value FROM rollup_meta WHERE key = ?', [`${MONTH_GENERATION}${month}`]))?.value ?? null,
    /** After a monthly point of `month` is written: a fresh token, unique across nodes (no read-modify-write). */
    bumpMonthGeneration: (month: string) => setMetaOn(writable(), `${MONTH_GENERATION}${month}`, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`),
    /** Small facts about the state (e.g. which rollup layout it has been upgraded to). */
    meta: async (key: string): Promise<string | null> => (await db.get<{ value: string }>('SELECT value FROM rollup_meta WHERE key = ?', [key]))?.value ?? null,
    setMeta: (key: string, value: string) => setMetaOn(writable(), key, value),
    /** Station → the settings (JSON) its rollups were computed with. */
    stationSettings: async (): Promise<Map<string, string>> =>
      new Map((await db.all<{ station: string, settings: string }>('SELECT station, settings FROM rollup_station_settings')).map((r) => [r.station, r.settings])),
    saveStationSettings: (rows: ReadonlyArray<readonly [station: string, settings: string]>) => writable().transaction(async (tx) => {
      for (const [station, settings] of rows) {
        await tx.run('INSERT INTO rollup_station_settings (station, settings) VALUES (?, ?) ON CONFLICT (station) DO UPDATE SET settings = excluded.settings', [station, settings])
      }
    }),
    close: () => db.close()
  }
}

async function setMetaOn (db: SqlDb, key: string, value: string): Promise<void> {
  await db.run('INSERT INTO rollup_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value])
}

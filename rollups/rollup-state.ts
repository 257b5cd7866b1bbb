// The rollup job's own SQLite file (next to the registry, never inside it): which station-days
// wait for a recompute, so a crash does not lose them, and the first-seen index (worker
// pseudonym → first entry), which first-time-visitor figures need and raw events cannot give
// cheaply. It holds pseudonyms as devices send them ("w_" + hex) and nothing else about people.
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import type { FirstSeen } from './compute-days.ts'

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE dirty (
     station    TEXT NOT NULL,
     date       TEXT NOT NULL,
     marked_at  INTEGER NOT NULL,
     PRIMARY KEY (station, date)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE first_seen (
     worker   TEXT PRIMARY KEY,
     station  TEXT NOT NULL,
     at       INTEGER NOT NULL
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`,
  // 2: per station, the settings its rollups were computed with (zone, capacity, opening
  // hours, as JSON): a station whose registry settings differ is recomputed
  // (rollups/station-changes.ts).
  `CREATE TABLE station_settings (
     station   TEXT PRIMARY KEY,
     settings  TEXT NOT NULL
   ) STRICT, WITHOUT ROWID;`
]

export type DirtyDay = { station: string, date: string }
export type RollupState = ReturnType<typeof openRollupState>

export type OpenStateOptions = {
  /** The API of a separate process only reads. */
  readOnly?: boolean
  /** InfluxDB the state belongs to (url + database): a different one starts from scratch. */
  source?: string
}

/** null when readOnly and the file does not exist (no rollup job has run here). */
export function openRollupStateIfExists (path: string): RollupState | null {
  return existsSync(path) ? openRollupState(path, { readOnly: true }) : null
}

export function openRollupState (path: string, opts: OpenStateOptions = {}) {
  if (!opts.readOnly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new DatabaseSync(path, opts.readOnly ? { readOnly: true } : {})
  db.exec('PRAGMA busy_timeout = 5000')
  if (!opts.readOnly) {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL')
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.exec('BEGIN')
      db.exec(MIGRATIONS[v]!)
      db.exec(`PRAGMA user_version = ${v + 1}`)
      db.exec('COMMIT')
    }
    if (opts.source !== undefined) {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'source'").get() as { value: string } | undefined
      if (row && row.value !== opts.source) db.exec("DELETE FROM dirty; DELETE FROM first_seen; DELETE FROM station_settings; DELETE FROM meta WHERE key <> 'source'")
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('source', ?)").run(opts.source)
    }
  }

  const q = opts.readOnly
    ? null
    : {
        mark: db.prepare('INSERT OR IGNORE INTO dirty (station, date, marked_at) VALUES (?, ?, ?)'),
        clear: db.prepare('DELETE FROM dirty WHERE station = ? AND date = ?'),
        upsertSeen: db.prepare('INSERT OR REPLACE INTO first_seen (worker, station, at) VALUES (?, ?, ?)')
      }
  const all = db.prepare('SELECT station, date FROM dirty ORDER BY station, date')
  const inRange = db.prepare('SELECT station, date FROM dirty WHERE date >= ? AND date <= ? ORDER BY station, date')
  const ofStation = db.prepare('SELECT station, date FROM dirty WHERE station = ? AND date >= ? AND date <= ? ORDER BY date')
  const seen = db.prepare('SELECT worker, station, at FROM first_seen WHERE worker = ?')
  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?')

  function writable () {
    if (!q) throw new Error('rollup state opened read-only')
    return q
  }

  function transaction<T> (fn: () => T): T {
    db.exec('BEGIN')
    try {
      const out = fn()
      db.exec('COMMIT')
      return out
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }

  function firstSeen (workers: readonly string[]): Map<string, FirstSeen> {
    const out = new Map<string, FirstSeen>()
    for (const w of workers) {
      const row = seen.get(w) as { worker: string, station: string, at: number } | undefined
      if (row) out.set(w, { station: row.station, at: row.at })
    }
    return out
  }

  return {
    markDirty: (days: readonly DirtyDay[], now = Date.now()) => transaction(() => { for (const d of days) writable().mark.run(d.station, d.date, now) }),
    clearDirty: (days: readonly DirtyDay[]) => transaction(() => { for (const d of days) writable().clear.run(d.station, d.date) }),
    dirty: (): DirtyDay[] => all.all() as DirtyDay[],
    /** Dirty days with from <= date <= to, at one station or at any. */
    dirtyBetween: (from: string, to: string, station?: string): DirtyDay[] =>
      (station === undefined ? inRange.all(from, to) : ofStation.all(station, from, to)) as DirtyDay[],
    firstSeen,
    /**
     * Records the earliest entries of a batch (keeping the earlier of old and new) and returns
     * the records they replaced: those days lose a first-time visitor and need a recompute.
     */
    recordFirstSeen (station: string, entries: ReadonlyMap<string, number>): FirstSeen[] {
      const replaced: FirstSeen[] = []
      transaction(() => {
        const known = firstSeen([...entries.keys()])
        for (const [worker, at] of entries) {
          const old = known.get(worker)
          // Ties keep the record already there, so two stations never take it from each other.
          if (old && old.at <= at) continue
          writable().upsertSeen.run(worker, station, at)
          if (old) replaced.push(old)
        }
      })
      return replaced
    },
    /** Small facts about the state (e.g. which rollup layout it has been upgraded to). */
    meta: (key: string): string | null => (getMeta.get(key) as { value: string } | undefined)?.value ?? null,
    setMeta: (key: string, value: string) => { db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value) },
    /** Station → the settings (JSON) its rollups were computed with. Prepared on use: a read-only reader may have an older file. */
    stationSettings: (): Map<string, string> =>
      new Map((db.prepare('SELECT station, settings FROM station_settings').all() as Array<{ station: string, settings: string }>).map((r) => [r.station, r.settings])),
    saveStationSettings: (rows: ReadonlyArray<readonly [station: string, settings: string]>) => {
      writable()
      const put = db.prepare('INSERT OR REPLACE INTO station_settings (station, settings) VALUES (?, ?)')
      transaction(() => { for (const [station, settings] of rows) put.run(station, settings) })
    },
    close: () => db.close()
  }
}

// What the registry's change token reads: a value that moves whenever any transaction may have
// written to the registry since it was last read, on either database. Pollers that re-read
// whole tables (the live view every 2 s) compare it first and skip the read when it has not
// moved; a move without a change to their tables (another table, another node's write) costs
// one ordinary re-read, so false alarms are cheap and misses are what must not happen.
import type { DatabaseSync } from 'node:sqlite'
import type { SqlDb } from './db/sql-db.ts'

/**
 * SQLite: data_version moves when another connection (a worker, the CLI) commits, and
 * total_changes() counts this connection's own writes.
 */
export function sqliteChangeToken (db: DatabaseSync): () => Promise<string> {
  const dataVersion = db.prepare('PRAGMA data_version')
  const ownChanges = db.prepare('SELECT total_changes() AS n')
  return async () => `${(dataVersion.get() as { data_version: number }).data_version}:${(ownChanges.get() as { n: number }).n}`
}

/**
 * PostgreSQL: the snapshot's xmax, the next transaction id to be assigned. A transaction gets
 * an id when it first writes, so xmax moves with every writing transaction of any client on
 * any node, and stays put while everyone only reads (PostgreSQL ≥ 13; a read replica answers
 * too, unlike pg_current_wal_lsn()). Writes to other databases of the same server move it as
 * well: a false alarm, one re-read.
 */
export function postgresChangeToken (db: SqlDb): () => Promise<string> {
  return async () => (await db.get<{ v: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS v'))!.v
}

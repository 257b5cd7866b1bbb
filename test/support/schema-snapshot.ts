// What a registry schema looks like, read back from the database itself, in one shape for both
// dialects so that a test can compare a migrated SQLite file with a migrated PostgreSQL database.
import type { SqlDb } from '../../registry/db/sql-db.ts'

export type ColumnShape = { name: string, type: string, notNull: boolean, default: string | null }
// name: of a CREATE INDEX; null for the index behind a UNIQUE constraint (named by the database).
export type IndexShape = { name: string | null, columns: string[], unique: boolean, where: string | null }
export type ForeignKeyShape = { columns: string[], table: string, references: string[] }
export type TableShape = { columns: ColumnShape[], primaryKey: string[], indexes: IndexShape[], foreignKeys: ForeignKeyShape[] }
export type SchemaShape = Record<string, TableShape>

// postgres column types under SQLite's names (registry/db/postgres-ddl.ts maps them the other way).
const PG_TYPES: Record<string, string> = { bigint: 'INTEGER', 'double precision': 'REAL', text: 'TEXT', bytea: 'BLOB' }

// '…'::text → '…'; a partial index's predicate without postgres' casts and parentheses.
const normDefault = (d: string | null) => d === null ? null : d.replace(/::[a-z ]+$/, '')
const normWhere = (w: string | null) => w === null ? null : w.replace(/::[a-z ]+/g, '').replace(/[()]/g, '').replace(/\s+/g, ' ').trim()

const sorted = <T>(items: T[]) => items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

export async function schemaShape (db: SqlDb, skipTables: string[] = []): Promise<SchemaShape> {
  return db.dialect === 'sqlite' ? sqliteShape(db, skipTables) : postgresShape(db, skipTables)
}

async function sqliteShape (db: SqlDb, skip: string[]): Promise<SchemaShape> {
  const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
  const shape: SchemaShape = {}
  for (const { name } of tables) {
    if (skip.includes(name)) continue
    const cols = await db.all<{ name: string, type: string, notnull: number, dflt_value: string | null, pk: number }>('SELECT * FROM pragma_table_info(?) ORDER BY cid', [name])
    const primaryKey = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name)
    const indexes: IndexShape[] = []
    for (const ix of await db.all<{ name: string, unique: number, origin: string, partial: number }>('SELECT * FROM pragma_index_list(?)', [name])) {
      if (ix.origin === 'pk') continue // the primary key, compared as primaryKey
      const columns = (await db.all<{ name: string }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [ix.name])).map((c) => c.name)
      const sql = (await db.get<{ sql: string | null }>("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?", [ix.name]))?.sql ?? null
      const where = ix.partial && sql ? /\bWHERE\b([\s\S]*)$/i.exec(sql)![1]! : null
      indexes.push({ name: ix.origin === 'c' ? ix.name : null, columns, unique: ix.unique === 1, where: normWhere(where) })
    }
    const fks = await db.all<{ id: number, seq: number, table: string, from: string, to: string }>('SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq', [name])
    const foreignKeys = [...new Set(fks.map((f) => f.id))].map((id) => {
      const parts = fks.filter((f) => f.id === id)
      return { columns: parts.map((p) => p.from), table: parts[0]!.table, references: parts.map((p) => p.to) }
    })
    shape[name] = {
      // STRICT tables: primary key columns are NOT NULL even where table_info says otherwise.
      columns: cols.map((c) => ({ name: c.name, type: c.type, notNull: c.notnull === 1 || c.pk > 0, default: c.dflt_value })),
      primaryKey,
      indexes: sorted(indexes),
      foreignKeys: sorted(foreignKeys)
    }
  }
  return shape
}

async function postgresShape (db: SqlDb, skip: string[]): Promise<SchemaShape> {
  const tables = await db.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name")
  const shape: SchemaShape = {}
  for (const { name } of tables) {
    if (skip.includes(name)) continue
    const cols = await db.all<{ name: string, type: string, nullable: string, dflt: string | null }>(
      `SELECT column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS dflt
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position`, [name])
    // Every constraint and index with its columns in key order.
    const keyColumns = `ARRAY(SELECT a.attname FROM unnest(%s) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = %r AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns`
    const pk = await db.get<{ columns: string[] }>(`SELECT ${keyColumns.replace('%s', 'c.conkey').replace('%r', 'c.conrelid')} FROM pg_constraint c WHERE c.conrelid = ?::regclass AND c.contype = 'p'`, [name])
    const indexes = await db.all<{ name: string | null, columns: string[], unique: boolean, where: string | null }>(
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) THEN NULL ELSE i.indexrelid::regclass::text END AS name,
              ${keyColumns.replace('%s', 'i.indkey::int2[]').replace('%r', 'i.indrelid')}, i.indisunique AS unique, pg_get_expr(i.indpred, i.indrelid) AS where
         FROM pg_index i WHERE i.indrelid = ?::regclass AND NOT i.indisprimary`, [name])
    const fks = await db.all<{ columns: string[], table: string, references: string[] }>(
      `SELECT ${keyColumns.replace('%s', 'c.conkey').replace('%r', 'c.conrelid')}, c.confrelid::regclass::text AS table,
              ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS references
         FROM pg_constraint c WHERE c.conrelid = ?::regclass AND c.contype = 'f'`, [name])
    shape[name] = {
      columns: cols.map((c) => ({ name: c.name, type: PG_TYPES[c.type] ?? c.type, notNull: c.nullable === 'NO', default: normDefault(c.dflt) })),
      primaryKey: pk?.columns ?? [],
      indexes: sorted(indexes.map((i) => ({ name: i.name, columns: i.columns, unique: i.unique, where: normWhere(i.where) }))),
      foreignKeys: sorted(fks)
    }
  }
  return shape
}

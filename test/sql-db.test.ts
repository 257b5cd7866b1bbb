// The SqlDb contract (registry/db/sql-db.ts) that registry stores rely on, for each driver.
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, test } from 'vitest'
import type { SqlDb } from '../registry/db/sql-db.ts'
import { createSqliteDb } from '../registry/db/sqlite-db.ts'

const drivers: Array<{ name: string, open: () => Promise<SqlDb> }> = [
  { name: 'sqlite', open: async () => createSqliteDb(new DatabaseSync(':memory:')) }
]

describe.each(drivers)('$name', ({ open }) => {
  async function withTable (fn: (db: SqlDb) => Promise<void>): Promise<void> {
    const db = await open()
    try {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER NOT NULL)')
      await fn(db)
    } finally {
      await db.close()
    }
  }

  test('get, all and run with ? placeholders; RETURNING and ON CONFLICT', async () => withTable(async (db) => {
    const a = await db.get<{ id: number }>('INSERT INTO t (name, n) VALUES (?, ?) RETURNING id', ['a', 1])
    expect(typeof a?.id).toBe('number')
    await db.run('INSERT INTO t (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = t.n + excluded.n', ['a', 2])
    expect(await db.get('SELECT name, n FROM t WHERE id = ?', [a!.id])).toEqual({ name: 'a', n: 3 })
    expect((await db.run('UPDATE t SET n = ? WHERE name = ?', [5, 'nobody'])).changes).toBe(0)
    await db.run('INSERT INTO t (name, n) VALUES (?, ?)', ['b', 2])
    expect(await db.all('SELECT name FROM t ORDER BY name')).toEqual([{ name: 'a' }, { name: 'b' }])
    expect(await db.get<{ c: number }>('SELECT count(*) AS c FROM t')).toEqual({ c: 2 })
    expect(await db.get('SELECT name FROM t WHERE name = ?', ['zzz'])).toBeUndefined()
  }))

  test('a transaction commits or rolls back as a whole', async () => withTable(async (db) => {
    await db.transaction(async (tx) => { await tx.run('INSERT INTO t (name, n) VALUES (?, ?)', ['kept', 1]) })
    await expect(db.transaction(async (tx) => {
      await tx.run('INSERT INTO t (name, n) VALUES (?, ?)', ['lost', 1])
      await tx.run('INSERT INTO t (name, n) VALUES (?, ?)', ['kept', 1]) // unique violation
    })).rejects.toThrow()
    expect(await db.all('SELECT name FROM t ORDER BY name')).toEqual([{ name: 'kept' }])
  }))

  test("another caller's statement waits for an open transaction instead of joining it", async () => withTable(async (db) => {
    let insideDone = false
    let sawInside: boolean | undefined
    const tx = db.transaction(async (t) => {
      await t.run('INSERT INTO t (name, n) VALUES (?, ?)', ['x', 1])
      await new Promise((resolve) => setTimeout(resolve, 20))
      await t.run('INSERT INTO t (name, n) VALUES (?, ?)', ['x', 2]) // fails: the whole tx rolls back
    }).catch(() => { insideDone = true })
    const outside = db.run('INSERT INTO t (name, n) VALUES (?, ?)', ['outside', 1]).then(() => { sawInside = insideDone })
    await Promise.all([tx, outside])
    // The outside insert ran after the transaction ended and survived its rollback.
    expect(sawInside).toBe(true)
    expect(await db.all('SELECT name FROM t ORDER BY name')).toEqual([{ name: 'outside' }])
  }))
})

import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { inject } from 'vitest'
import { BackpressureError, ClosedError, createBatchWriter, RefusedError } from '../ingest/batch-writer.ts'
import { createLineArena, joinSpans } from '../ingest/line-arena.ts'
import { createInfluxWrite, WriteError, type WriteLines } from '../ingest/influx-write.ts'
import { influxClient } from '../platform/influx.ts'

// The group-commit writer against a real influxd. Faults (5xx, refused connections) are
// injected by wrapping the real write function, so what does get through is really stored.

const db = `bw_${randomBytes(4).toString('hex')}`
const url = inject('influxUrl')
const influx = influxClient({ INFLUX_URL: url, INFLUX_DB: db })
const realWrite = createInfluxWrite({ url, database: db, timeoutMs: 5000 })

beforeAll(async () => { await influx.createDatabase(db) })
afterAll(async () => { await influx.dropDatabase(db) })

const count = async (m: string) => {
  const rows = await influx.query<{ count: number }>(`SELECT count("v") FROM "${m}"`)
  return rows[0]?.count ?? 0
}
const writer = (write: WriteLines, extra: Partial<Parameters<typeof createBatchWriter>[0]> = {}) => createBatchWriter({
  write, maxBatchPoints: 1000, maxBatchBytes: 1 << 20, maxInFlight: 2, maxPendingPoints: 100_000, retryBaseMs: 5, retryMaxMs: 50, ...extra
})

describe('batch writer', () => {
  test('groups concurrent submissions into few writes and resolves each once stored', async () => {
    let writes = 0
    const w = writer(async (body) => { writes++; await realWrite(body) })
    await Promise.all(Array.from({ length: 2000 }, (_, i) => w.submit([`grouped,k=a v=${i}i ${1_700_000_000_000_000_000n + BigInt(i)}`])))
    expect(await count('grouped')).toBe(2000)
    expect(writes).toBeLessThanOrEqual(4) // 2000 points, 1000 per batch: 2 writes
    expect(w.stats().storedPoints).toBe(2000)
  })

  test('batches are answered in the order they were sent, even when a later write finishes first', async () => {
    let writes = 0
    // The first write takes 150 ms, the second returns at once: the second batch's callbacks
    // still come after the first's (PUBACKs in PUBLISH order per device).
    const w = writer(async (body) => { if (writes++ === 0) await new Promise((r) => setTimeout(r, 150)); await realWrite(body) }, { maxBatchPoints: 2 })
    const order: number[] = []
    const line = (i: number) => `ordered,k=a v=${i}i ${1_700_000_000_000_000_000n + BigInt(i)}`
    await Promise.all([0, 1, 2, 3].map((i) => w.submit([line(i)]).then(() => { order.push(i) })))
    expect(writes).toBe(2)
    expect(order).toEqual([0, 1, 2, 3])
    expect(await count('ordered')).toBe(4)
  })

  test('a small write lingers for company; close() sends what lingers at once', async () => {
    let writes = 0
    const w = writer(async (body) => { writes++; await realWrite(body) }, { lingerMs: 300 })
    const line = (i: number) => `lingered,k=a v=${i}i ${1_700_000_000_000_000_000n + BigInt(i)}`
    const stored: Array<Promise<void>> = []
    for (let i = 0; i < 10; i++) {
      stored.push(w.submit([line(i)]))
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await Promise.all(stored)
    expect(writes).toBe(1) // ten trickling submissions, one write
    expect(await count('lingered')).toBe(10)

    const late = w.submit([line(10)])
    await w.close(5000) // does not wait out the linger
    await late
    expect(writes).toBe(2)
    expect(await count('lingered')).toBe(11)
  })

  test('retries retryable failures with backoff until InfluxDB accepts', async () => {
    let failures = 3
    const w = writer(async (body) => {
      if (failures-- > 0) throw new WriteError('retryable', 'InfluxDB answered 500: engine: error syncing wal', 500)
      await realWrite(body)
    })
    await w.submit(['retried,k=a v=1i 1700000000000000001'])
    expect(await count('retried')).toBe(1)
    expect(w.stats().retries).toBe(3)
  })

  test('a 400 (field type conflict) is bisected: the bad point is refused, the others stored', async () => {
    await realWrite('conflict,k=a v=1i 1700000000000000000')
    const w = writer(realWrite)
    const results = await Promise.allSettled([
      w.submit(['conflict,k=a v=2i 1700000000000000001']),
      w.submit(['conflict,k=a v="text" 1700000000000000002']), // v is an integer field
      w.submit(['conflict,k=a v=3i 1700000000000000003'])
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RefusedError)
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/field type conflict/)
    expect(await count('conflict')).toBe(3)
  })

  test('refuses new work past the pending cap instead of dropping or growing without bound', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const w = writer(async (body) => { await gate; await realWrite(body) }, { maxPendingPoints: 10, maxInFlight: 1 })
    const accepted = Array.from({ length: 10 }, (_, i) => w.submit([`capped,k=a v=${i}i ${1_700_000_000_000_000_000n + BigInt(i)}`]))
    await expect(w.submit(['capped,k=a v=99i 1700000000000000099'])).rejects.toBeInstanceOf(BackpressureError)
    release()
    await Promise.all(accepted)
    expect(await count('capped')).toBe(10)
    await w.submit(['capped,k=a v=10i 1700000000000000010']) // room again
    expect(await count('capped')).toBe(11)
  })

  test('close() waits for writes in flight, then refuses; gives up after the grace period', async () => {
    const w = writer(async (body) => { await new Promise((r) => setTimeout(r, 50)); await realWrite(body) })
    const pending = w.submit(['closing,k=a v=1i 1700000000000000001'])
    await w.close(5000)
    await expect(pending).resolves.toBeUndefined()
    expect(await count('closing')).toBe(1)
    await expect(w.submit(['closing,k=a v=2i 1700000000000000002'])).rejects.toBeInstanceOf(ClosedError)

    const down = writer(async () => { throw new WriteError('retryable', 'InfluxDB unreachable: ECONNREFUSED') })
    const stuck = down.submit(['down,k=a v=1i 1700000000000000001'])
    const started = Date.now()
    await down.close(200)
    await expect(stuck).rejects.toBeInstanceOf(ClosedError)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})

describe('line arena', () => {
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8')
  test('consecutive lines are one slice of a chunk, joined by newlines, as UTF-8', () => {
    const arena = createLineArena(1024)
    const lines = ['a,k=v x=1i 1', 'rejected,station=s payload="工会驿站 😀" 2', 'b x=2i 3']
    const spans = lines.map((l) => arena.append(l))
    expect(new Set(spans.map((s) => s.chunk)).size).toBe(1)
    expect(text(joinSpans(spans))).toBe(lines.join('\n'))
    expect(text(joinSpans(spans.slice(1, 2)))).toBe(lines[1])
  })
  test('spans across chunks, out of order or larger than a chunk are copied together', () => {
    const arena = createLineArena(64)
    const lines = Array.from({ length: 20 }, (_, i) => `m,i=${i} v="${'驿'.repeat(i)}" ${i}`).concat(['big v="' + 'x'.repeat(500) + '" 1'])
    const spans = lines.map((l) => arena.append(l))
    expect(new Set(spans.map((s) => s.chunk)).size).toBeGreaterThan(5)
    expect(text(joinSpans(spans))).toBe(lines.join('\n'))
    expect(text(joinSpans([spans[3]!, spans[1]!]))).toBe(`${lines[3]}\n${lines[1]}`)
  })
})

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createInfluxWrite, WriteError } from '../ingest/influx-write.ts'

// The write's own timeout and the shutdown signal, against a server that takes the request
// and never answers (what a wedged InfluxDB looks like from here).
let server: Server
let url: string
const hanging: Array<() => void> = []
beforeAll(async () => {
  server = createServer((req, res) => { req.resume(); hanging.push(() => res.destroy()) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  hanging.forEach((h) => h())
  await new Promise((resolve) => server.close(resolve))
})

describe('createInfluxWrite', () => {
  test('a write with no answer fails as retryable after timeoutMs', async () => {
    const write = createInfluxWrite({ url, database: 'db', timeoutMs: 150 })
    const err = await write('m v=1 1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WriteError)
    expect((err as WriteError).kind).toBe('retryable')
    expect((err as Error).message).toMatch(/no answer in 150 ms/)
  })

  test('the shutdown signal abandons a write in flight, and one already aborted is not sent', async () => {
    const write = createInfluxWrite({ url, database: 'db', timeoutMs: 60_000 })
    const shutdown = new AbortController()
    const pending = write(Buffer.from('m v=1 1'), shutdown.signal).catch((e: unknown) => e)
    setTimeout(() => shutdown.abort(new Error('shutting down')), 50)
    expect(((await pending) as Error).message).toMatch(/shutting down/)
    const before = hanging.length
    expect(((await write('m v=1 2', shutdown.signal).catch((e: unknown) => e)) as Error).message).toMatch(/shutting down/)
    expect(hanging.length).toBe(before)
  })
})

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { appendFileSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import mqtt, { type Packet } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startInfluxd, type InfluxServer } from '../scripts/influxd.ts'
import { durableOutgoing, openFileStore, readLog, storeIdProvider, type FileStore } from '../simulators/file-store.ts'
import { startTestStack, type TestStack } from './support/stack.ts'
import { freePort } from './support/stack-process.ts'

// The simulator's durable outgoing store (simulators/file-store.ts): the file format and its
// crash cases, then a real crash: a device process SIGKILLed with unacknowledged messages,
// and a fresh process on the same store that resends them through the real broker, ingest
// and a private influxd.

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'waystation-outgoing-store-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

const pub = (messageId: number, body = `m${messageId}`): Packet =>
  ({ cmd: 'publish', messageId, topic: 'stations/s-1/door', payload: Buffer.from(body), qos: 1, retain: false, dup: false })
const put = (s: FileStore, p: Packet) => new Promise<void>((resolve, reject) => s.put(p, (err) => (err ? reject(err) : resolve())))
const del = (s: FileStore, messageId: number) => new Promise<void>((resolve, reject) => s.del({ messageId }, (err) => (err ? reject(err) : resolve())))
const close = (s: FileStore) => new Promise<void>((resolve, reject) => s.close((err) => (err ? reject(err) : resolve())))
async function streamed (s: FileStore): Promise<Packet[]> {
  const out: Packet[] = []
  for await (const p of s.createStream() as unknown as AsyncIterable<Packet>) out.push(p)
  return out
}
const ids = (packets: Packet[]) => packets.map((p) => p.messageId)

describe('file store', () => {
  test('a put is on disk when its callback runs; reopened, only live entries come back, in put order, marked dup', async () => {
    const path = join(dir, 'basic.jsonl')
    const s = openFileStore(path)
    await put(s, pub(7))
    // Not waiting for close or flush: the callback itself is the promise.
    expect(readLog(path).packets.has(7)).toBe(true)
    await Promise.all([put(s, pub(3)), put(s, pub(9)), put(s, pub(1))])
    await del(s, 9)
    await put(s, pub(7, 'again')) // re-put of a live id replaces it and moves it last
    expect(ids(await streamed(s))).toEqual([3, 1, 7])
    await close(s)
    await expect(put(s, pub(2))).rejects.toThrow('store closed')

    const again = openFileStore(path)
    expect(again.recovered).toBe(3)
    const packets = await streamed(again)
    expect(ids(packets)).toEqual([3, 1, 7])
    expect(packets.map((p) => p.cmd === 'publish' && [p.topic, String(p.payload), p.qos, p.retain, p.dup])).toEqual([
      ['stations/s-1/door', 'm3', 1, false, true], ['stations/s-1/door', 'm1', 1, false, true], ['stations/s-1/door', 'again', 1, false, true]])
    await new Promise<void>((resolve) => again.get({ messageId: 1 }, (err, p) => { expect(err).toBeUndefined(); expect(p?.messageId).toBe(1); resolve() }))
    await new Promise<void>((resolve) => again.get({ messageId: 9 }, (err) => { expect(err?.message).toBe('missing packet'); resolve() }))
    await close(again)
  })

  test('a line torn by a crash is ignored, and the log is rewritten so appends start clean', async () => {
    const path = join(dir, 'torn.jsonl')
    const s = openFileStore(path)
    await put(s, pub(1))
    await put(s, pub(2))
    await close(s)
    appendFileSync(path, '{"op":"put","id":3,"cmd":"publish","topic":"stations/s-1/do') // no newline: the crash
    const again = openFileStore(path)
    expect([again.recovered, again.skipped]).toEqual([2, 1])
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true)
    await put(again, pub(4))
    await close(again)
    expect([...readLog(path).packets.keys()]).toEqual([1, 2, 4])
  })

  test('the log is compacted when it grows: live entries only, atomically renamed', async () => {
    const path = join(dir, 'compact.jsonl')
    const s = openFileStore(path, { compactBytes: 4096 })
    for (let i = 0; i < 3000; i++) {
      const id = (i % 60_000) + 1
      await Promise.all([put(s, pub(id)), i >= 5 ? del(s, id - 5) : undefined])
    }
    await s.flush()
    // 3000 puts and deletes are ~250 KB of records; compaction keeps the file near 4 KiB.
    expect(statSync(path).size).toBeLessThan(8192)
    await close(s)
    expect([...readLog(path).packets.keys()]).toEqual([2996, 2997, 2998, 2999, 3000])
  })

  test('new messageIds skip the ids of stored messages', () => {
    const stored = new Set([5, 6, 8, 65535])
    const provider = storeIdProvider({ has: (id) => stored.has(id) }, 5)
    expect([provider.allocate(), provider.allocate(), provider.allocate()]).toEqual([7, 9, 10])
    const wrap = storeIdProvider({ has: (id) => stored.has(id) }, 65535)
    expect(wrap.allocate()).toBe(1)
    expect(storeIdProvider({ has: () => true }).allocate()).toBeNull()
  })

  test('a restarted MQTT.js client stores new publishes beside the old ones, never over them', async () => {
    // 65,000 of the 65,535 messageIds taken by a previous run: MQTT.js's default provider
    // (random start, no registry) would hand out taken ids and overwrite stored messages.
    const storeDir = join(dir, 'restarted')
    const old = openFileStore(join(storeDir, 'dev-1.jsonl'))
    await Promise.all(Array.from({ length: 65_000 }, (_, i) => put(old, pub(i + 1))))
    await close(old)
    const { store, options } = durableOutgoing(storeDir, 'dev-1')
    expect(store.recovered).toBe(65_000)
    // Nothing listens there: every publish goes to the store while the client is offline.
    const client = mqtt.connect(`mqtt://127.0.0.1:${await freePort()}`, { reconnectPeriod: 0, log: () => {}, ...options })
    client.on('error', () => {})
    await Promise.all(Array.from({ length: 100 }, (_, i) => new Promise<void>((resolve) =>
      client.publish('stations/s-1/door', `new ${i}`, { qos: 1, cbStorePut: resolve }))))
    expect(store.size).toBe(65_100)
    await client.endAsync(true)
    const reloaded = readLog(join(storeDir, 'dev-1.jsonl')).packets
    expect(reloaded.size).toBe(65_100)
    expect(String((reloaded.get(1) as { payload: Buffer }).payload)).toBe('m1')
  })
})

type Said = Record<string, number>
function device (args: Record<string, unknown>) {
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'support', 'store-publisher.ts'), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const said: Said = {}
  const waiters: Array<() => void> = []
  createInterface({ input: child.stdout! }).on('line', (line) => { Object.assign(said, JSON.parse(line)); waiters.forEach((w) => w()) })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  /** Resolves with everything said once `key` was said; rejects if the process exits first. */
  const until = (key: string) => Promise.race([
    new Promise<Said>((resolve) => { const check = () => { if (key in said) resolve(said) }; waiters.push(check); check() }),
    exited.then(([code, signal]) => { if (!(key in said)) throw new Error(`device exited (${code ?? signal}) before saying ${key}`); return said })
  ])
  return { said, until, exited, kill: async () => { child.kill('SIGKILL'); return exited } }
}

describe('a SIGKILLed device with the durable store', () => {
  let influxd: InfluxServer
  let stack: TestStack
  let influxPort: number
  const S = 'store-001'
  const D = `${S}-door`
  let secret: string

  let influxUp = false
  const children: Array<ReturnType<typeof device>> = []
  const influxStart = async () => { influxd = await startInfluxd({ dataDir: join(dir, 'influxdb'), port: influxPort }); influxUp = true }
  const influxStop = async () => { influxUp = false; await influxd.stop() }

  beforeAll(async () => {
    influxPort = await freePort()
    await influxStart()
    stack = await startTestStack({ INFLUX_URL: influxd.url, INGEST_RETRY_MAX_DELAY_MS: '500' })
    secret = (await stack.addStation({ id: S, name: 'Store test' }, [D]))[D]!
  })
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()))
    // The stack's shutdown waits for ingest to flush: InfluxDB must be up.
    if (!influxUp && influxd !== undefined) await influxStart()
    await stack?.stop()
    await influxd?.stop()
  })

  /** Door messages the broker has handed to ingest (acknowledged or not). */
  async function received (): Promise<number> {
    const text = await (await fetch(`${stack.apiUrl}/metrics`, { headers: stack.auth('admin') })).text()
    return Number(/^waystation_messages_received_total\{channel="door"\} (\d+)/m.exec(text)?.[1] ?? 0)
  }
  /**
   * Waits until the broker holds some messages and takes no more: Aedes parses the next chunk
   * of a client's socket only when every publish of the current one is authorized, so with
   * PUBACKs withheld it stops after the first chunk or two.
   */
  async function settledReceived (): Promise<number> {
    let last = -1
    let same = 0
    for (let i = 0; i < 100 && same < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      const n = await received()
      same = n > 0 && n === last ? same + 1 : 0
      last = n
    }
    return last
  }
  const run = (args: Record<string, unknown>) => { const c = device(args); children.push(c); return c }

  test('unacknowledged messages (sent, and queued offline) are resent by the next process and stored exactly once', async () => {
    const storeDir = join(dir, 'devices')
    const base = { storeDir, stationId: S, deviceId: D, secret, baseTs: Date.UTC(2026, 1, 1) }
    const storeFile = join(storeDir, `${D}.jsonl`)

    // 1. InfluxDB down: 200 messages on the wire, PUBACKs withheld (the broker and ingest hold
    // the ones they have read). Killed.
    await influxStop()
    const first = run({ ...base, url: stack.mqttUrl, from: 0, count: 200, publishOn: 'connect', exitWhenDone: false })
    await first.until('stored')
    const inBroker = await settledReceived()
    expect(inBroker).toBeGreaterThan(0)
    expect(await first.kill()).toEqual([null, 'SIGKILL'])
    expect(readLog(storeFile).packets.size).toBe(200)

    // 2. The broker unreachable: 100 more publishes go straight to the store. Killed.
    const second = run({ ...base, url: `mqtt://127.0.0.1:${await freePort()}`, from: 200, count: 100, publishOn: 'start', exitWhenDone: false })
    expect((await second.until('stored')).recovered).toBe(200)
    await second.kill()
    expect(readLog(storeFile).packets.size).toBe(300)

    // 3. InfluxDB back (ingest now stores what it held from step 1); a fresh process publishes
    // 50 new messages at once, before CONNACK, and MQTT.js resends the 300 stored first.
    await influxStart()
    const third = run({ ...base, url: stack.mqttUrl, from: 300, count: 50, publishOn: 'start', exitWhenDone: true })
    const said = await third.until('acked')
    expect(await third.exited).toEqual([0, null])
    expect(said).toMatchObject({ recovered: 300, skipped: 0, acked: 50, recoveredAcked: 300, dupSent: 300 })
    expect(readLog(storeFile).packets.size).toBe(0)
    // What the broker had read in step 1 came twice; each is stored once (the same point).
    expect(await received()).toBeGreaterThanOrEqual(inBroker + 350)

    const rows = await stack.query<{ seq: number }>('SELECT "seq" FROM "door" WHERE "device" = $d', { d: D })
    expect(rows.length).toBe(350)
    expect(rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual([...Array(350).keys()])
  }, 60_000)
})

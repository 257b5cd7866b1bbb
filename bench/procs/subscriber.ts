// Baseline subscribers: what users put behind a plain broker when they build the pipeline by
// hand. They subscribe to stations/# with QoS 1 and
//   count:    only count messages (the broker's pub→sub rate);
//   naive:    write each message to InfluxDB with its own POST /write (32 at a time, like a
//             connection pool; the rest wait in memory);
//   batching: Telegraf-style: buffer points, flush at 5,000 points or every 100 ms, 2 writes
//             in flight, and past 100,000 buffered points drop the oldest (Telegraf's
//             metric_buffer_limit behaviour).
// Messages become points through Waystation's own mapping (ingest/to-line.ts) after a plain
// JSON.parse: the same points as Waystation stores, without its validation.
// The broker's PUBACK to the publisher has long been sent: nothing here is acknowledged to
// the device. argv: --url --mode --influx URL --db NAME --stats FILE
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import mqtt from 'mqtt'
import { parseTopic, type AnyEvent } from '../../contract/index.ts'
import { eventToLine } from '../../ingest/to-line.ts'

const { values: a } = parseArgs({ options: { url: { type: 'string' }, mode: { type: 'string', default: 'count' }, influx: { type: 'string' }, db: { type: 'string', default: 'bench' }, stats: { type: 'string' } } })
const mode = a.mode as 'count' | 'naive' | 'batching'
const writeUrl = `${a.influx}/write?db=${a.db}&precision=ns`
const stats = { received: 0, points: 0, written: 0, writes: 0, writeErrors: 0, dropped: 0, maxBuffered: 0, lastWriteAt: 0 }

const toLines = (topic: string, payload: Buffer): string[] => {
  const t = parseTopic(topic)
  if (t === null || t.channel === 'status') return []
  try {
    const json = JSON.parse(payload.toString()) as AnyEvent['payload'] | { events: Array<AnyEvent['payload']> }
    const events = t.batch ? (json as { events: Array<AnyEvent['payload']> }).events : [json as AnyEvent['payload']]
    return events.map((p) => eventToLine(t.stationId, { channel: t.channel, payload: p } as AnyEvent))
  } catch {
    return []
  }
}

async function post (body: string, points: number): Promise<void> {
  try {
    const res = await fetch(writeUrl, { method: 'POST', body, headers: { 'content-type': 'text/plain' } })
    await res.body?.cancel()
    if (res.status === 204) { stats.written += points; stats.writes++; stats.lastWriteAt = Date.now() } else stats.writeErrors++
  } catch {
    stats.writeErrors++
  }
}

const naive: string[] = []
let naiveHead = 0
let naiveBusy = 0
async function naiveWorker (): Promise<void> {
  naiveBusy++
  while (naiveHead < naive.length) {
    const line = naive[naiveHead++] as string
    if (naiveHead > 100_000) { naive.splice(0, naiveHead); naiveHead = 0 }
    await post(line, 1)
  }
  naiveBusy--
}

const buffer: string[] = []
let inFlight = 0
const flush = (): void => {
  while (inFlight < 2 && buffer.length > 0) {
    const batch = buffer.splice(0, 5000)
    inFlight++
    void post(batch.join('\n'), batch.length).finally(() => { inFlight--; if (buffer.length >= 5000) flush() })
  }
}
if (mode === 'batching') setInterval(flush, 100)

const client = await mqtt.connectAsync(a.url as string, { clientId: `bench-subscriber-${process.pid}`, protocolVersion: 4, clean: true, reconnectPeriod: 1000, log: () => {} })
client.on('message', (topic, payload) => {
  stats.received++
  if (mode === 'count') return
  const lines = toLines(topic, payload)
  stats.points += lines.length
  if (mode === 'naive') {
    naive.push(...lines)
    stats.maxBuffered = Math.max(stats.maxBuffered, naive.length - naiveHead)
    while (naiveBusy < 32 && naiveHead < naive.length) void naiveWorker()
    return
  }
  for (const l of lines) buffer.push(l)
  // Drop the oldest beyond the limit (in steps, so a full buffer costs O(1) per message).
  if (buffer.length > 110_000) { stats.dropped += buffer.length - 100_000; buffer.splice(0, buffer.length - 100_000) }
  stats.maxBuffered = Math.max(stats.maxBuffered, buffer.length)
  if (buffer.length >= 5000) flush()
})
await client.subscribeAsync('stations/#', { qos: 1 })
console.log(`subscribed (${mode})`)
const save = () => { if (a.stats) writeFileSync(a.stats, JSON.stringify(stats)) }
setInterval(save, 500).unref()
const close = () => { save(); process.exit(0) }
process.once('SIGTERM', close)
process.once('SIGINT', close)

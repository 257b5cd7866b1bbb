import { describe, expect, test } from 'vitest'
import { backfillStatus, createDemoConsole, formatDuration, formatSummary, type DemoSummary } from '../scripts/demo-console.ts'

// The demo's terminal: what a person reads while it starts and once it runs.
const fakeStream = (isTTY: boolean) => {
  const chunks: string[] = []
  return { chunks, stream: { isTTY, columns: 120, write: (s: string) => { chunks.push(s); return true } } as unknown as NodeJS.WriteStream }
}

describe('backfill progress', () => {
  test('has no fraction until every station knows its total', () => {
    expect(backfillStatus([{ total: 100, sent: 10, acked: 5 }, undefined], 5000)).toEqual({ fraction: undefined, text: '5 messages stored (counting the total …)' })
  })

  test('sums the stations: stored of total, rate and time left', () => {
    const s = backfillStatus([{ total: 60_000, sent: 30_000, acked: 20_000 }, { total: 40_000, sent: 30_000, acked: 30_000 }], 10_000)
    expect(s.fraction).toBe(0.5)
    expect(s.text).toBe('50.0k / 100.0k messages stored · 5000/s · ETA 10 s')
  })

  test('gives no rate or ETA in the first seconds', () => {
    expect(backfillStatus([{ total: 100_000, sent: 10, acked: 1 }], 300).text).toBe('1 / 100.0k messages stored')
  })

  test('formats durations', () => {
    expect(formatDuration(9.4)).toBe('9 s')
    expect(formatDuration(125)).toBe('2 min 05 s')
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?')
  })
})

describe('console', () => {
  test('a log line erases the progress bar on a terminal instead of running into it', () => {
    const err = fakeStream(true)
    const out = fakeStream(true)
    const con = createDemoConsole(err.stream, out.stream)
    const bar = con.backfill(1)
    bar.report(0, { total: 10, sent: 5, acked: 5 })
    expect(err.chunks.at(-1)).toMatch(/^\r\x1b\[2Kbackfill \[#+\.+\]\s+50\.0% 5 \/ 10 messages stored$/)
    con.logDestination.write('a warning\n')
    expect(err.chunks.at(-1)).toBe('\r\x1b[2K')
    expect(out.chunks).toEqual(['a warning\n'])
    bar.done('done')
    expect(err.chunks.at(-1)).toBe('backfill done\n')
  })

  test('prints plain lines, no escape codes, when not a terminal', () => {
    const err = fakeStream(false)
    const con = createDemoConsole(err.stream, fakeStream(false).stream)
    expect(con.logDestination.isTTY).toBe(false)
    const bar = con.backfill(1)
    bar.report(0, { total: 10, sent: 5, acked: 5 })
    bar.done('done')
    con.say('hello')
    expect(err.chunks.join('')).not.toContain('\x1b')
    expect(err.chunks).toEqual(['backfill [##############..............]  50.0% 5 / 10 messages stored\n', 'backfill done\n', 'hello\n'])
  })
})

describe('summary', () => {
  const summary: DemoSummary = {
    apiUrl: 'http://127.0.0.1:3000',
    mqttUrl: 'mqtt://127.0.0.1:1883',
    influx: 'http://127.0.0.1:8086 (database waystation)',
    dashboardBuilt: true,
    fleetFile: '.data/demo-fleet.json',
    tokens: { admin: 'wst_admin_secret', viewer: 'wst_viewer_secret' },
    firstStation: 'sz-futian-001',
    backfillDays: 14,
    speed: 1,
    logHint: undefined,
    now: Date.UTC(2030, 0, 20, 12)
  }

  test('names the dashboard, docs and MQTT URLs, both tokens with what they may do, and how to stop', () => {
    const text = formatSummary(summary)
    expect(text).toContain('  Dashboard  http://127.0.0.1:3000/\n')
    expect(text).toContain('  API docs   http://127.0.0.1:3000/docs\n')
    expect(text).toContain('  MQTT       mqtt://127.0.0.1:1883\n')
    expect(text).toMatch(/admin {4}wst_admin_secret\n\s+everything/)
    expect(text).toMatch(/viewer {3}wst_viewer_secret\n\s+read only/)
    expect(text).toContain("'http://127.0.0.1:3000/stations/sz-futian-001/visits?from=2030-01-07&to=2030-01-20'")
    expect(text).toContain('Ctrl-C stops everything')
  })

  test('says how to build the dashboard when the API does not serve it yet', () => {
    expect(formatSummary({ ...summary, dashboardBuilt: false })).toContain('Dashboard  http://127.0.0.1:3000/   (not built yet: npm run build, then reload)')
  })
})

// What the person who ran `npm run demo` reads: short lines about what started, a progress bar
// for the backfill, and a summary with the URLs, the sign-in tokens and how to stop. It goes to
// stderr, so that stdout carries only log records: JSON when redirected to a file or a pipe (a
// log collector reads them unmixed), pretty lines on a terminal (platform/logger.ts).
import type { LogDestination } from '../platform/logger.ts'
import type { BackfillProgress } from '../simulators/station-simulator.ts'
import { createProgress, formatCount, type ProgressLine } from '../simulators/progress.ts'

export type DemoSummary = {
  apiUrl: string
  mqttUrl: string
  influx: string // "http://… (database waystation)"
  dashboardBuilt: boolean
  fleetFile: string
  tokens: { admin: string, viewer: string }
  firstStation: string
  backfillDays: number
  speed: number
  logHint: string | undefined // how to see more (or less) of the logs
  now: number
}

export type DemoConsole = {
  tty: boolean
  /** One line for the person (a finished step, a hint); moves the progress bar out of the way. */
  say (text: string): void
  /** Where the logger writes: stdout, with the progress bar erased first so lines never mix. */
  logDestination: LogDestination
  /** A progress bar over `stations` parallel backfills: redrawn in place on a terminal, a plain line every few seconds elsewhere. */
  backfill (stations: number): { report (station: number, p: BackfillProgress): void, done (text: string): void }
  summary (s: DemoSummary): void
}

const DAY = 86_400_000

export function formatDuration (seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`
  return `${Math.floor(seconds / 60)} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`
}

/** "95.3k / 192.5k messages stored · 21.4k/s · ETA 5 s", and the fraction done (undefined until every total is known). */
export function backfillStatus (parts: Array<BackfillProgress | undefined>, elapsedMs: number): { fraction: number | undefined, text: string } {
  const known = parts.every((p) => p !== undefined)
  const acked = parts.reduce((n, p) => n + (p?.acked ?? 0), 0)
  const total = parts.reduce((n, p) => n + (p?.total ?? 0), 0)
  const rate = elapsedMs > 0 ? acked / (elapsedMs / 1000) : 0
  if (!known || total === 0) return { fraction: undefined, text: `${formatCount(acked)} messages stored (counting the total …)` }
  // The first seconds (connecting, the first batches) say nothing about the rate to come.
  const speed = elapsedMs >= 2000 && rate > 0 ? ` · ${formatCount(Math.round(rate))}/s · ETA ${formatDuration((total - acked) / rate)}` : ''
  return { fraction: acked / total, text: `${formatCount(acked)} / ${formatCount(total)} messages stored${speed}` }
}

export function formatSummary (s: DemoSummary, style: { bold (t: string): string } = { bold: (t) => t }): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
  const visits = `${s.apiUrl}/stations/${s.firstStation}/visits?from=${day(s.now - (s.backfillDays - 1) * DAY)}&to=${day(s.now)}`
  return [
    '',
    style.bold('Waystation demo is running'),
    `  Dashboard  ${s.apiUrl}/${s.dashboardBuilt ? '' : '   (not built yet: npm run build, then reload)'}`,
    `  API docs   ${s.apiUrl}/docs`,
    `  MQTT       ${s.mqttUrl}`,
    `  InfluxDB   ${s.influx}`,
    '',
    `Sign in to the dashboard by pasting a token (both kept in ${s.fleetFile}):`,
    `  admin    ${s.tokens.admin}`,
    '           everything: stations, devices, service clients, tokens and the audit log',
    `  viewer   ${s.tokens.viewer}`,
    '           read only: stations, live state, visits and reports',
    'The same tokens work on the API:',
    `  curl -s -H 'Authorization: Bearer ${s.tokens.viewer}' '${visits}'`,
    '',
    `Live traffic from 5 stations at ${s.speed}× real time (DEMO_SPEED).${s.logHint === undefined ? '' : ` ${s.logHint}`}`,
    'Ctrl-C stops everything; the data stays for the next run.',
    ''
  ].join('\n')
}

export function createDemoConsole (stream: NodeJS.WriteStream = process.stderr, out: NodeJS.WriteStream = process.stdout): DemoConsole {
  const tty = stream.isTTY === true
  const color = tty && process.env.NO_COLOR === undefined
  const bold = (t: string) => color ? `\x1b[1m${t}\x1b[22m` : t
  let bar: ProgressLine | undefined
  const say = (text: string) => { bar?.clear(); stream.write(`${text}\n`) }
  return {
    tty,
    say,
    logDestination: {
      isTTY: out.isTTY === true,
      write: (line: string) => { bar?.clear(); out.write(line) }
    },
    backfill (stations) {
      const parts: Array<BackfillProgress | undefined> = Array.from({ length: stations })
      const started = Date.now()
      const progress = createProgress({ label: 'backfill', stream, logEveryMs: 3_000 })
      bar = progress
      return {
        report (station, p) {
          parts[station] = p
          const { fraction, text } = backfillStatus(parts, Date.now() - started)
          progress.update(fraction, text)
        },
        done (text) {
          progress.done(text)
          bar = undefined
        }
      }
    },
    summary (s) { say(formatSummary(s, { bold })) }
  }
}

import { mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fleetSpec } from '../../simulators/fleet-spec.ts'
import { writeCredentials } from '../../simulators/provision.ts'
import { buildBenchRegistry } from '../lib/bench-registry.ts'
import { summarizeCpuProfile, type ProfileSummary } from '../lib/cpuprofile.ts'
import { countPoints, createDatabase, startBenchInflux, type BenchInflux } from '../lib/influx.ts'
import { startMosquitto } from '../lib/mosquitto.ts'
import { freePort, NODE, ROOT, sampler, start, stop, waitForLine, waitForPort, type Proc, type Usage } from '../lib/proc.ts'
import { startWaystation, type LoadSummary } from '../lib/systems.ts'
import type { Ctx } from './e2e.ts'

// Side by side under the same lean load generator (bench/procs/blast.ts: N clients, a window
// of unacknowledged QoS 1 publishes each, realistic payloads): Waystation, and what users
// would run instead. For the broker + subscriber pipelines the broker acknowledges on receipt,
// so their PUBACK says nothing about storage: what counts is what reached InfluxDB by the end
// of the sending window, and what was still missing after a bounded drain.

export type PipelineKind = 'waystation' | 'mosquitto-naive' | 'mosquitto-batching' | 'aedes-count' | 'aedes-batching'
export type PipelineResult = {
  kind: PipelineKind
  label: string
  clients: number
  /** Unacknowledged publishes allowed per client. */
  window?: number
  sendSeconds: number
  offeredRate?: number
  acked: number
  ackedPerSec: number
  /** Stored (or, for aedes-count, delivered to the subscriber) by the end of the sending window, per second. */
  storedPerSec: number
  storedAtEnd: number
  storedAfterDrain: number
  /** Acknowledged by the broker but not in InfluxDB after the drain. */
  missing: number
  latencyMs: LoadSummary['latencyMs']
  usage: Usage[]
  subscriber?: Record<string, number>
  profile?: ProfileSummary
  /** stored/s of every repetition, when repeated (the result is the best one). */
  runs?: number[]
  /** Waystation's InfluxDB writes in the run (from its /metrics): count, mean points and ms. */
  writes?: { count: number, meanPoints: number, meanMs: number }
}

/** Waystation's batch figures from its Prometheus text: how big the group commits got. */
function writeFigures (text: string): PipelineResult['writes'] {
  const num = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
  const count = num('waystation_influx_batch_points_count')
  if (!(count > 0)) return undefined
  return { count, meanPoints: num('waystation_influx_batch_points_sum') / count, meanMs: (1000 * num('waystation_influx_write_seconds_sum')) / num('waystation_influx_write_seconds_count') }
}

const DRAIN_MS = 20_000
let runCount = 0

export async function runPipeline (ctx: Ctx, opts: { kind: PipelineKind, label?: string, clients: number, window: number, seconds: number, rate?: number, cpuProf?: boolean }): Promise<PipelineResult> {
  const label = opts.label ?? opts.kind
  const dir = join(ctx.dir, `pipeline-${label}-${++runCount}`)
  mkdirSync(dir, { recursive: true })
  const registryPath = join(dir, 'registry.sqlite')
  const credentialsPath = join(dir, 'credentials.json')
  writeCredentials(credentialsPath, await buildBenchRegistry(registryPath, fleetSpec({ stations: opts.clients, seed: ctx.seed })))
  const needsInflux = opts.kind !== 'aedes-count'
  const influx: BenchInflux | undefined = needsInflux ? await startBenchInflux(() => {}) : undefined
  const db = 'bench'
  const procs: Array<{ name: string, pid: number }> = []
  const stops: Array<() => Promise<void>> = []
  let url: string
  let subscriber: { proc: Proc, stats: string } | undefined
  let metricsUrl: string | undefined
  const profDir = opts.cpuProf === true ? join(dir, 'cpuprof') : undefined
  try {
    if (opts.kind === 'waystation') {
      // BENCH_WAYSTATION_ENV='{"INGEST_MAX_IN_FLIGHT":"4"}' A/B-tests a setting (JSON: extra env).
      const w = await startWaystation({ dir, influxUrl: influx!.url, db, registryPath, ...(profDir === undefined ? {} : { cpuProfDir: profDir }), env: { METRICS_PUBLIC: 'true', ...(process.env.BENCH_WAYSTATION_ENV ? JSON.parse(process.env.BENCH_WAYSTATION_ENV) as Record<string, string> : {}) } })
      url = w.mqttUrl
      metricsUrl = `${w.apiUrl}/metrics`
      procs.push({ name: 'waystation', pid: w.proc.pid })
      stops.push(w.stop)
    } else {
      if (opts.kind.startsWith('mosquitto')) {
        const m = await startMosquitto(dir, ctx.log)
        url = m.url
        procs.push({ name: 'mosquitto', pid: m.proc.pid })
        stops.push(m.stop)
      } else {
        const port = await freePort()
        const p = start('aedes', NODE, [join(ROOT, 'bench/procs/aedes-bare.ts'), String(port)], { log: join(dir, 'aedes.log') })
        await waitForPort(port, p)
        url = `mqtt://127.0.0.1:${port}`
        procs.push({ name: 'aedes (bare)', pid: p.pid })
        stops.push(() => stop(p))
      }
      if (influx !== undefined) await createDatabase(influx.url, db)
      const mode = opts.kind.endsWith('naive') ? 'naive' : opts.kind.endsWith('batching') ? 'batching' : 'count'
      const stats = join(dir, 'subscriber.json')
      const p = start('subscriber', NODE, [join(ROOT, 'bench/procs/subscriber.ts'), '--url', url, '--mode', mode, '--influx', influx?.url ?? '', '--db', db, '--stats', stats], { log: join(dir, 'subscriber.log') })
      await waitForLine(p, /subscribed/)
      subscriber = { proc: p, stats }
      procs.push({ name: `subscriber (${mode})`, pid: p.pid })
      stops.unshift(() => stop(p))
    }
    if (influx !== undefined) procs.push({ name: 'influxd', pid: influx.pid })

    const summaryFile = join(dir, 'blast-summary.json')
    const blast = start('blast', NODE, [join(ROOT, 'bench/procs/blast.ts'), '--url', url, '--credentials', credentialsPath, '--clients', String(opts.clients), '--window', String(opts.window), '--seconds', String(opts.seconds), '--summary', summaryFile, ...(opts.rate === undefined ? [] : ['--rate', String(Math.round(opts.rate))])], { log: join(dir, 'blast.log') })
    await waitForLine(blast, /clients connected/)
    procs.push({ name: 'load generator', pid: blast.pid })
    const s = sampler(procs)
    s.start()
    const sendEnd = sleep(opts.seconds * 1000)
    const readSub = (): Record<string, number> => (subscriber === undefined ? {} : JSON.parse(readFileSync(subscriber.stats, 'utf8')) as Record<string, number>)
    await sendEnd
    // What is stored when the devices stop sending; the loader then waits for its last PUBACKs.
    const atEnd = opts.kind === 'aedes-count' ? readSub().received ?? 0 : influx === undefined ? 0 : (await countPoints(influx.url, db)).total
    await blast.exited
    const usage = s.stop()
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as LoadSummary
    let after = atEnd
    if (subscriber !== undefined && opts.kind !== 'aedes-count') {
      // Bounded drain: let the subscriber catch up, for at most DRAIN_MS.
      const deadline = Date.now() + DRAIN_MS
      while (Date.now() < deadline) {
        after = (await countPoints(influx!.url, db)).total
        if (after >= summary.totals.acked) break
        await sleep(1000)
      }
    } else if (opts.kind === 'aedes-count') {
      await sleep(500)
      after = readSub().received ?? 0
    } else {
      after = (await countPoints(influx!.url, db)).total
    }
    const sendSeconds = opts.seconds
    const writes = metricsUrl === undefined ? undefined : writeFigures(await (await fetch(metricsUrl)).text())
    const result: PipelineResult = {
      kind: opts.kind,
      label,
      clients: opts.clients,
      window: opts.window,
      sendSeconds,
      acked: summary.totals.acked,
      ackedPerSec: summary.totals.acked / (summary.elapsedMs / 1000),
      storedPerSec: opts.kind === 'waystation' ? after / (summary.elapsedMs / 1000) : atEnd / sendSeconds,
      storedAtEnd: atEnd,
      storedAfterDrain: after,
      missing: Math.max(0, summary.totals.acked - after),
      latencyMs: summary.latencyMs,
      usage,
      ...(subscriber === undefined ? {} : { subscriber: readSub() }),
      ...(opts.rate === undefined ? {} : { offeredRate: opts.rate }),
      ...(writes === undefined ? {} : { writes })
    }
    ctx.log(`  ${label}: acked ${result.ackedPerSec.toFixed(0)}/s, stored ${result.storedPerSec.toFixed(0)}/s, missing after drain ${result.missing}, PUBACK p50 ${summary.latencyMs.p50} ms p99 ${summary.latencyMs.p99} ms`)
    for (const f of stops.splice(0)) await f()
    if (profDir !== undefined) {
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
      if (file !== undefined) result.profile = summarizeCpuProfile(join(profDir, file))
    }
    return result
  } finally {
    for (const f of stops) await f()
    await influx?.stop()
  }
}

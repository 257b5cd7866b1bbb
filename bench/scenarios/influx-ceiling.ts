import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createDatabase, startBenchInflux } from '../lib/influx.ts'
import { NODE, ROOT, sampler, start } from '../lib/proc.ts'
import type { Ctx } from './e2e.ts'

// Baseline (d): what InfluxDB itself accepts on this machine with pre-built line protocol of
// realistic points, 2 writers × 10,000-point batches (bench/procs/influx-writer.ts).

export async function runInfluxCeiling (ctx: Ctx, opts: { seconds: number, writers?: number, batch?: number }) {
  const dir = join(ctx.dir, 'influx-ceiling')
  mkdirSync(dir, { recursive: true })
  const writers = opts.writers ?? 2
  const batch = opts.batch ?? 10_000
  const influx = await startBenchInflux(() => {})
  try {
    await createDatabase(influx.url, 'bench')
    const stats = join(dir, 'writer.json')
    const p = start('influx-writer', NODE, [join(ROOT, 'bench/procs/influx-writer.ts'), '--influx', influx.url, '--db', 'bench', '--seconds', String(opts.seconds), '--writers', String(writers), '--batch', String(batch), '--stats', stats], { log: join(dir, 'writer.log') })
    const s = sampler([{ name: 'influxd', pid: influx.pid }, { name: 'writer', pid: p.pid }])
    s.start()
    await p.exited
    const usage = s.stop()
    const r = JSON.parse(readFileSync(stats, 'utf8')) as { points: number, elapsedMs: number, errors: number }
    const pointsPerSec = r.points / (r.elapsedMs / 1000)
    ctx.log(`  InfluxDB alone: ${Math.round(pointsPerSec)} points/s (${writers} writers × ${batch}), ${r.errors} errors`)
    return { pointsPerSec, writers, batch, seconds: r.elapsedMs / 1000, influxdCpuPct: usage[0]!.cpuPct }
  } finally {
    await influx.stop()
  }
}

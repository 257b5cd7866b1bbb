// Wires the rollup job from configuration, inside the process that runs ingest (it listens to
// stored events). Its state sits next to a SQLite registry (a file of its own) or in the
// PostgreSQL registry (REGISTRY_URL); an API in another process reads it to know which days are
// still being recomputed.
import { dirname, join } from 'node:path'
import type { StoredListener } from '../ingest/create-ingest.ts'
import { createInfluxWrite } from '../ingest/influx-write.ts'
import { retentionMs, type Config } from '../platform/config.ts'
import { influxClient, ROLLUP_RETENTION_POLICY } from '../platform/influx.ts'
import type { Logger } from '../platform/logger.ts'
import type { FirstSeen } from './compute-days.ts'
import { influxQueryFn } from './influx-query.ts'
import { upgradeLegacyRollups } from './legacy-rollups.ts'
import { createRollupJob } from './rollup-job.ts'
import { createPostgresDb } from '../registry/db/pg-db.ts'
import { openRollupState, openRollupStateIfExists, openRollupStateOn, type DirtyDay, type RollupState } from './rollup-state.ts'
import { registryLookup, type StationRegistry } from './station-info.ts'

type StateConfig = Pick<Config, 'REGISTRY_PATH' | 'REGISTRY_URL'>
type InfluxConfig = Pick<Config, 'INFLUX_URL' | 'INFLUX_DB' | 'INFLUX_USERNAME' | 'INFLUX_PASSWORD' | 'RAW_RETENTION'> & StateConfig

/** What the API needs from the job (api/figures/day-source.ts RollupStatus). */
export type RollupStatusView = {
  dirtyBetween: (from: string, to: string, station?: string) => Promise<DirtyDay[]>
  readonly firstSeen: ((workers: readonly string[]) => Promise<Map<string, FirstSeen>>) | null
  monthGeneration: (month: string) => Promise<string | null>
}

const ROLLUP_TIMEOUT_MS = 60_000

export function rollupStatePath (config: Pick<Config, 'REGISTRY_PATH'>): string {
  return join(dirname(config.REGISTRY_PATH), 'rollups.sqlite')
}

export async function startRollups (opts: { config: InfluxConfig, registry: StationRegistry, ingest: { onStored: (l: StoredListener) => void }, logger: Logger, reconcileDays?: number }) {
  const { config } = opts
  const logger = opts.logger.child({ component: 'rollups' })
  const state = config.REGISTRY_URL
    ? await openRollupStateOn(createPostgresDb(config.REGISTRY_URL), { source: config.INFLUX_DB })
    : await openRollupState(rollupStatePath(config), { source: config.INFLUX_DB })
  const query = influxQueryFn(influxClient(config, { requestTimeoutMs: ROLLUP_TIMEOUT_MS, maxRetries: 0 }))
  const job = createRollupJob({
    state,
    stations: registryLookup(opts.registry),
    query,
    // Rollups go to their own policy, kept forever; raw events expire after RAW_RETENTION.
    write: createInfluxWrite({ url: config.INFLUX_URL, database: config.INFLUX_DB, username: config.INFLUX_USERNAME, password: config.INFLUX_PASSWORD, timeoutMs: ROLLUP_TIMEOUT_MS, retentionPolicy: ROLLUP_RETENTION_POLICY }),
    logger,
    rawRetentionMs: retentionMs(config.RAW_RETENTION)
  })
  opts.ingest.onStored(job.onStored)
  await job.start(opts.reconcileDays === undefined ? {} : { reconcileDays: opts.reconcileDays })
  const upgrade = upgradeLegacyRollups({ state, query, markDates: job.markDates, logger })
  return {
    job,
    status: statusOf(state),
    /** Settles once rollups of an older version have been looked for (and marked). */
    upgraded: upgrade.done,
    async close (): Promise<void> {
      upgrade.cancel()
      await job.close()
      await state.close()
    }
  }
}

const statusOf = (state: RollupState): RollupStatusView => ({ dirtyBetween: state.dirtyBetween, firstSeen: state.firstSeen, monthGeneration: state.monthGeneration })

/**
 * For an API without the job in its process: reads the job's state file once it exists
 * (the broker may start later). Without it, days are read from rollups as they are.
 */
export async function readRollupStatus (config: StateConfig) {
  if (config.REGISTRY_URL) {
    // Always there: the tables are set up by whichever opens them first (the job or this).
    const shared = await openRollupStateOn(createPostgresDb(config.REGISTRY_URL))
    return { status: statusOf(shared), close: () => shared.close() }
  }
  const path = rollupStatePath(config)
  let state: RollupState | null = null
  let opening: Promise<RollupState | null> | null = null
  // Tried again on each read until the job has created the file.
  const open = async (): Promise<RollupState | null> =>
    state ?? (state = await (opening ??= openRollupStateIfExists(path).finally(() => { opening = null })))
  await open()
  const status: RollupStatusView = {
    dirtyBetween: async (from, to, station) => await (await open())?.dirtyBetween(from, to, station) ?? [],
    // No file yet: no job has written a month; 'none' differs from any token it will write.
    monthGeneration: async (month) => (await open())?.monthGeneration(month) ?? 'none',
    // Until the job has created the file, first-time visitors cannot be told (null).
    get firstSeen () {
      if (!state) void open().catch(() => null)
      return state ? state.firstSeen : null
    }
  }
  return { status, close: async () => { await opening?.catch(() => null); await state?.close() } }
}

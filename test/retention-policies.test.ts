// Retention policies against the real influxd: ensureDatabase creates `rollups` (INF) and gives
// the default policy RAW_RETENTION, does it again on every start without change, follows a new
// RAW_RETENTION, fails soft when the server refuses the statements; RAW_RETENTION is validated
// like every other setting; and `waystation start` applies it.
import { randomBytes } from 'node:crypto'
import type { InfluxDB } from 'influx'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { createInfluxClient } from '../api/main.ts'
import { ConfigError, loadConfig, retentionMs } from '../platform/config.ts'
import { ensureDatabase, shardDurationFor } from '../platform/influx.ts'
import type { Logger } from '../platform/logger.ts'
import { startTestStack } from './support/stack.ts'

const influxUrl = inject('influxUrl')
const databases: string[] = []
function freshDb (): { db: string, influx: InfluxDB } {
  const db = `retention_${randomBytes(4).toString('hex')}`
  databases.push(db)
  return { db, influx: createInfluxClient({ INFLUX_URL: influxUrl, INFLUX_DB: db }) }
}
afterAll(async () => {
  const influx = createInfluxClient({ INFLUX_URL: influxUrl, INFLUX_DB: 'x' })
  for (const db of databases) await influx.dropDatabase(db).catch(() => {})
})

async function policies (influx: InfluxDB, db: string) {
  return [...await influx.showRetentionPolicies(db)].map((p) => [p.name, p.duration, p.shardGroupDuration, p.default])
}

function captureLogs () {
  const lines: Array<[string, string]> = []
  const logger = {
    info: (_: object, msg: string) => { lines.push(['info', msg]) },
    warn: (_: object, msg: string) => { lines.push(['warn', msg]) }
  } as unknown as Pick<Logger, 'info' | 'warn'>
  return { lines, logger }
}

describe('RAW_RETENTION setting', () => {
  it('takes a duration of h, d or w (at least 1h) or INF, INF by default', () => {
    expect(loadConfig({}).RAW_RETENTION).toBe('INF')
    expect(loadConfig({ RAW_RETENTION: 'inf' }).RAW_RETENTION).toBe('INF')
    for (const v of ['1h', '72h', '400d', '52w']) expect(loadConfig({ RAW_RETENTION: v }).RAW_RETENTION).toBe(v)
    expect([retentionMs('INF'), retentionMs('2d'), retentionMs('1w')]).toEqual([null, 172_800_000, 604_800_000])
  })

  it('refuses anything else, naming the variable as for other settings', () => {
    for (const bad of ['30m', '0d', '400', '1.5d', '400 d', 'forever', '5300w']) {
      const load = () => loadConfig({ RAW_RETENTION: bad })
      expect(load, bad).toThrow(ConfigError)
      expect(load, bad).toThrow(/✖ RAW_RETENTION: a duration like 72h, 400d or 52w \(at least 1h, at most 100 years\), or INF\n {2}→ at RAW_RETENTION/)
    }
  })
})

describe('ensureDatabase', () => {
  it('creates rollups (INF, not default) and gives the default policy RAW_RETENTION; a second start changes nothing', async () => {
    const { db, influx } = freshDb()
    const first = captureLogs()
    expect(await ensureDatabase(influx, db, { rawRetention: '400d', logger: first.logger }))
      .toEqual({ raw: { policy: 'autogen', duration: '400d', shardDuration: '7d' }, rollups: 'INF' })
    const expected = [['autogen', '9600h0m0s', '168h0m0s', true], ['rollups', '0s', '168h0m0s', false]]
    expect(await policies(influx, db)).toEqual(expected)
    expect(first.lines).toEqual([['warn', 'raw event retention shortened: older raw events are deleted by InfluxDB'], ['info', 'retention policies']])

    const again = captureLogs()
    await ensureDatabase(influx, db, { rawRetention: '400d', logger: again.logger })
    expect(await policies(influx, db)).toEqual(expected)
    expect(again.lines).toEqual([['info', 'retention policies']])
  })

  it('follows a changed RAW_RETENTION; shard groups as InfluxDB would choose them', async () => {
    const { db, influx } = freshDb()
    for (const [retention, duration, shard] of [
      ['48h', '48h0m0s', '24h0m0s'], ['12h', '12h0m0s', '1h0m0s'], ['180d', '4320h0m0s', '24h0m0s'], ['26w', '4368h0m0s', '168h0m0s'], ['INF', '0s', '168h0m0s']
    ] as const) {
      await ensureDatabase(influx, db, { rawRetention: retention })
      expect(await policies(influx, db), retention).toEqual([['autogen', duration, shard, true], ['rollups', '0s', '168h0m0s', false]])
    }
    expect(['1h', '47h', '2d', '180d', '181d', 'INF'].map(shardDurationFor)).toEqual(['1h', '1h', '1d', '1d', '7d', '7d'])
  })

  it('without RAW_RETENTION leaves the default policy alone; an operator\'s rollups duration is kept', async () => {
    const { db, influx } = freshDb()
    await ensureDatabase(influx, db)
    expect(await policies(influx, db)).toEqual([['autogen', '0s', '168h0m0s', true], ['rollups', '0s', '168h0m0s', false]])
    await influx.alterRetentionPolicy('rollups', { database: db, duration: '1820d', replication: 1 })
    const logs = captureLogs()
    expect(await ensureDatabase(influx, db, { logger: logs.logger })).toEqual({ raw: null, rollups: '1820d' })
    expect(logs.lines).toEqual([['warn', 'the rollups retention policy is not INF: rollups older than that are dropped; left as set']])
  })

  it('fails soft when the server refuses the policy statements, and rejects when it cannot be reached', async () => {
    // InfluxDB 2.x/3.x or a user without admin rights: an error in the answer, or a 4xx, for
    // CREATE DATABASE or only for the policy statements.
    const refusals = [
      async () => ({ results: [{ statement_id: 0, error: 'statement not supported' }] }),
      async () => { throw Object.assign(new Error('A 403 Forbidden error occurred'), { res: { statusCode: 403 } }) }
    ]
    for (const refuse of refusals) {
      for (const refuseCreate of [true, false]) {
        const logs = captureLogs()
        const queryRaw = async (q: string) => (!refuseCreate && q.startsWith('CREATE DATABASE') ? { results: [{ statement_id: 0 }] } : refuse())
        const server = { queryRaw } as unknown as InfluxDB
        expect(await ensureDatabase(server, 'x', { rawRetention: '400d', logger: logs.logger })).toBeNull()
        expect(logs.lines).toEqual([['warn', expect.stringMatching(/refused CREATE DATABASE or RETENTION POLICY.*2\.x\/3\.x/)]])
      }
    }
    const down = { queryRaw: async () => { throw new Error('connect ECONNREFUSED') } } as unknown as InfluxDB
    await expect(ensureDatabase(down, 'x', { rawRetention: '400d' })).rejects.toThrow(/ECONNREFUSED/)
  })
})

describe('waystation start', () => {
  const stackPromise = startTestStack({ RAW_RETENTION: '30d' })
  afterAll(async () => (await stackPromise).stop())

  it('applies RAW_RETENTION in the background as it starts', async () => {
    const stack = await stackPromise
    await expect.poll(() => policies(stack.influx, stack.config.INFLUX_DB), { timeout: 20_000 })
      .toEqual([['autogen', '720h0m0s', '24h0m0s', true], ['rollups', '0s', '168h0m0s', false]])
  })
})

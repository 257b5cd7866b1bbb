// The API's handle on figures: InfluxQL through the API's client (bounded time, no retries),
// failures sorted into 503 / 500 like every other route, plus what it can see of the rollup
// job (its state file, in the same process or read-only from another one).
import type { InfluxDB } from 'influx'
import { influxQueryFn } from '../../rollups/influx-query.ts'
import { toStoreError } from '../store-unavailable-error.ts'
import type { FigureSource, RollupStatus } from './day-source.ts'

export function createFigureSource (influx: InfluxDB, status: RollupStatus | null): FigureSource {
  const query = influxQueryFn(influx)
  return {
    query: (statements, placeholders) => query(statements, placeholders).catch((err: unknown) => { throw toStoreError(err) }),
    status
  }
}

// One way to ask InfluxDB several InfluxQL statements in one round trip and get the columns
// back untouched: node-influx's queryRaw with epoch milliseconds and bound parameters. Rows
// stay arrays (no object per row), which matters when a rollup reads a month of raw events.
import type { InfluxDB } from 'influx'

export type Series = { name?: string, tags?: Record<string, string>, columns: string[], values: unknown[][] }
export type Placeholders = Record<string, string | number>
/** Resolves to one array of series per statement, in statement order. */
export type QueryFn = (statements: string[], placeholders: Placeholders) => Promise<Series[][]>

type RawResult = { statement_id?: number, series?: Series[], error?: string, partial?: boolean }

export function influxQueryFn (influx: InfluxDB): QueryFn {
  return async (statements, placeholders) => {
    // InfluxDB 1.x expects statements that change data (DELETE) as POST; reads stay GET.
    const method = statements.every((q) => /^\s*(SELECT|SHOW)\b/i.test(q)) ? 'GET' : 'POST'
    const res = await influx.queryRaw(statements, { placeholders, precision: 'ms', method }) as { results?: RawResult[], error?: string }
    if (res.error) throw new Error(`InfluxDB: ${res.error}`)
    const results = res.results ?? []
    return statements.map((_, i) => {
      const r = results.find((x) => x.statement_id === i) ?? results[i]
      if (r?.error) throw new Error(`InfluxDB: ${r.error}`)
      // A server with max-row-limit set truncates a result and marks it partial: a figure from
      // half the rows would be wrong, so refuse it. (Series-level "partial" is different: 1.x
      // leaves it on series merged from several internal chunks, with every row present.)
      if (r?.partial) {
        throw new Error('InfluxDB returned a partial result (max-row-limit?): refusing to compute figures from it')
      }
      return r?.series ?? []
    })
  }
}

/** Column accessor for a series: col('count') → index, -1 when absent. */
export function columnIndex (s: Series): (name: string) => number {
  return (name) => s.columns.indexOf(name)
}

/** Literal IN-list for station ids (already validated slugs) as bound parameters. */
export function stationFilter (stationIds: readonly string[], placeholders: Placeholders): string {
  if (stationIds.length === 0) throw new RangeError('stationFilter needs at least one station')
  return '(' + stationIds.map((id, i) => {
    placeholders[`s${i}`] = id
    return `"station" = $s${i}`
  }).join(' OR ') + ')'
}

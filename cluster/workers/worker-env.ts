// What makes worker i of `waystation start --workers N` one node of a Redis cluster
// (docs/cluster.md): the shared Redis and InfluxDB, cluster mode, and a broker id of its own that
// stays the same across its restarts (Aedes tells brokers apart by id; the leases name it).
import { availableParallelism } from 'node:os'
import { ConfigError } from '../../platform/config.ts'

/** The worker's name in logs, metrics of the primary and its broker id: w1, w2, ... */
export const workerName = (i: number): string => `w${i}`

/** `<BROKER_ID>-w<i>`: distinct per worker, stable across its restarts and the primary's. */
export const workerBrokerId = (baseId: string, i: number): string => `${baseId}-${workerName(i)}`

export type SharedServices = { redisUrl: string, influxUrl: string, baseBrokerId: string, socketPath?: string }

/**
 * The environment worker `i` runs with, on top of the primary's. An empty value unsets a
 * variable (platform/config.ts reads "" as unset).
 */
export function workerEnv (i: number, s: SharedServices): Record<string, string> {
  return {
    WAYSTATION_WORKER: workerName(i),
    CLUSTER: 'redis',
    REDIS_URL: s.redisUrl,
    INFLUX_URL: s.influxUrl,
    BROKER_ID: workerBrokerId(s.baseBrokerId, i),
    // A Unix socket is not shared like a port: the broker removes a socket file left behind
    // before it listens (broker/listeners.ts), so a second worker would delete the first one's.
    // The first worker alone serves it.
    MQTT_SOCKET_PATH: i === 1 ? (s.socketPath ?? '') : ''
  }
}

export class WorkersOptionError extends ConfigError {}

/**
 * `--workers N` (or `--workers=N`) among the arguments of `start`; the default is the number of
 * cores this process may use. Returns the count, whether it was given, and the other arguments.
 */
export function parseWorkersOption (args: string[], cores = availableParallelism()): { workers: number, explicit: boolean, rest: string[] } {
  let workers = cores
  let explicit = false
  const rest: string[] = []
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!
    let value: string | undefined
    if (a === '--workers') value = args[++k] ?? ''
    else if (a.startsWith('--workers=')) value = a.slice('--workers='.length)
    else { rest.push(a); continue }
    if (!/^[1-9][0-9]{0,2}$/.test(value)) throw new WorkersOptionError(`--workers: a whole number from 1 to 999, not ${JSON.stringify(value)}`)
    workers = Number(value)
    explicit = true
  }
  return { workers, explicit, rest }
}

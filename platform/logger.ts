import { createRequire } from 'node:module'
import { pino, type Logger, type LoggerOptions as PinoOptions } from 'pino'

export type { Logger }

/** What the root logger never writes, wherever in a logged object it appears. */
export const REDACT_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token',
  'req.headers.authorization', 'headers.authorization',
  // The dashboard's session cookie is a credential like a token.
  'req.headers.cookie', 'headers.cookie', 'res.headers["set-cookie"]', 'headers["set-cookie"]',
  'INFLUX_PASSWORD', '*.INFLUX_PASSWORD', 'LIVE_MQTT_SERVICE_SECRET', '*.LIVE_MQTT_SERVICE_SECRET', 'REDIS_URL', '*.REDIS_URL',
  'REGISTRY_URL', '*.REGISTRY_URL',
  // The key of the credential hashes, as configured and as passed to openRegistry.
  'CREDENTIAL_KEY', '*.CREDENTIAL_KEY', 'credentialKey', '*.credentialKey'
]

// One root logger per process; components take a child (`logger.child({ component: 'ingest' })`).
// Secrets never reach the output even if someone logs a whole object that holds them.
export function createLogger (level: string = 'info', opts: LoggerOptions = {}): Logger {
  return pinoTo(opts, {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' }
  })
}

/** Where log lines go: anything with write(); isTTY decides the default format. */
export type LogDestination = { write (line: string): unknown, isTTY?: boolean }
export type LoggerOptions = {
  /** Human-readable lines (pino-pretty) instead of JSON; default: when the destination is a terminal. */
  pretty?: boolean
  /** Default: stdout. */
  destination?: LogDestination
}

// JSON lines for machines (files, pipes, log collectors); pretty lines on a terminal. pino
// redacts before serialising, so the pretty lines are made from the redacted record.
function pinoTo (opts: LoggerOptions, options: PinoOptions): Logger {
  const out = opts.destination ?? process.stdout
  if (opts.pretty ?? out.isTTY === true) return pino(options, prettyDestination(out))
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination)
}

type PrettyModule = { prettyFactory (opts: object): (line: string) => string, isColorSupported: boolean }

// pino-pretty as a plain function in this thread, not a transport: a transport is a worker
// thread (its start-up and a second event loop for a handful of lines a person reads), and
// its lines arrive asynchronously, interleaved at random with what the demo prints itself
// (its summary and progress bar). Loaded only when wanted: JSON output never pays for it.
function prettyDestination (out: LogDestination): LogDestination {
  const { prettyFactory, isColorSupported } = createRequire(import.meta.url)('pino-pretty') as PrettyModule
  const format = prettyFactory({
    colorize: out.isTTY === true && isColorSupported,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    // "INFO: broker: MQTT listener ready {"port":1883}": one line per record, fields after it.
    messageFormat: '{if component}{component}: {end}{msg}',
    singleLine: true
  })
  return { write: (line: string) => out.write(format(line)) }
}

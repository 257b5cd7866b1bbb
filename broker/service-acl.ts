import { StationId, TOPIC_ROOT } from '../contract/index.ts'
import type { ServiceSession } from './sessions.ts'

// What a service client (dashboard live feed, alerting, operator console) may do: follow the
// stations in its scope, and with `subscribe+commands` send them commands. Devices: acl.ts.

const ROOT = `${TOPIC_ROOT}/`
const COMMANDS = 'commands/'

/** `stations/{station}/{rest}` (a topic or a filter) → its parts, or null for any other shape. */
function split (topic: string): { station: string, rest: string } | null {
  if (!topic.startsWith(ROOT)) return null
  const end = topic.indexOf('/', ROOT.length)
  return end < 0 ? null : { station: topic.slice(ROOT.length, end), rest: topic.slice(end + 1) }
}

/**
 * Filters below `stations/` only (never `#`, `$SYS/…` or `$quarantine/…`). A `+` or `#` at the
 * station level matches every station, so only a service scoped to all stations may use one;
 * any other scope names each station literally, and the id is looked up in its set.
 */
export function serviceMaySubscribe (session: ServiceSession, filter: string): boolean {
  if (!filter.startsWith(ROOT) || filter.length === ROOT.length) return false
  if (session.stations === null) return true
  const at = split(filter)
  return at !== null && at.rest.length > 0 && session.stations.has(at.station)
}

/**
 * `stations/{id}/commands/{command}[/…]` of a station in scope, with the commands permission.
 * Everything else, data channels above all, is refused: a service must never be taken for a
 * station device by ingest or by subscribers.
 */
export function serviceMayPublish (session: ServiceSession, topic: string): boolean {
  if (!session.commands) return false
  const at = split(topic)
  if (at === null || !at.rest.startsWith(COMMANDS) || at.rest.length === COMMANDS.length) return false
  return session.stations === null ? StationId.safeParse(at.station).success : session.stations.has(at.station)
}

/** Checked on every delivery to a service (authorize-forward.ts says why). */
export function serviceMayReceive (session: ServiceSession, topic: string): boolean {
  if (session.stations === null) return true
  const at = split(topic)
  return at !== null && session.stations.has(at.station)
}

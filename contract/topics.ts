import { z } from 'zod'
import { StationId } from './ids.ts'
import { DoorEvent, DoorStateEvent, EnvironmentReading, EquipmentEvent, OccupancyReading, StatusMessage, SupplyLevel } from './payloads.ts'

// The one map from channel to payload schema. Producers (devices, simulators) and consumers
// (broker ACL, ingest, API) import it; adding a channel here is the first step of adding one
// anywhere.
export const channels = {
  door: DoorEvent,
  door_state: DoorStateEvent,
  occupancy: OccupancyReading,
  environment: EnvironmentReading,
  status: StatusMessage,
  equipment: EquipmentEvent,
  supply: SupplyLevel
} as const

export type Channel = keyof typeof channels
export type PayloadOf<C extends Channel> = z.infer<(typeof channels)[C]>
export type AnyEvent = { [C in Channel]: { channel: C, payload: PayloadOf<C> } }[Channel]

export const CHANNELS = Object.keys(channels) as Channel[]
export const Channel = z.enum(CHANNELS as [Channel, ...Channel[]])

export const TOPIC_ROOT = 'stations'

export function topicFor (stationId: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${stationId}/${channel}`
}

export function isChannel (value: string): value is Channel {
  return Object.hasOwn(channels, value)
}

// A device that was offline uploads what it buffered as batches of one channel:
// `stations/{stationId}/{channel}/batch` with `{ "events": [...] }`, acknowledged as a unit.
export const BATCH_SUFFIX = 'batch'

export function batchTopicFor (stationId: string, channel: Channel): string {
  return `${topicFor(stationId, channel)}/${BATCH_SUFFIX}`
}

export type ParsedTopic = { stationId: StationId, channel: Channel, batch: boolean }

/** `stations/{stationId}/{channel}[/batch]` → parts, or null for any other shape. */
export function parseTopic (topic: string): ParsedTopic | null {
  const parts = topic.split('/')
  if (parts.length < 3 || parts.length > 4 || parts[0] !== TOPIC_ROOT) return null
  const [, stationId, channel, suffix] = parts as [string, string, string, string | undefined]
  if (suffix !== undefined && suffix !== BATCH_SUFFIX) return null
  if (!StationId.safeParse(stationId).success || !isChannel(channel)) return null
  return { stationId, channel, batch: suffix !== undefined }
}

export type OwnTopic = { readonly channel: Channel, readonly batch: boolean }
const OWN_TOPICS = new Map<string, OwnTopic>()
for (const channel of Object.keys(channels) as Channel[]) {
  OWN_TOPICS.set(channel, Object.freeze({ channel, batch: false }))
  OWN_TOPICS.set(`${channel}/${BATCH_SUFFIX}`, Object.freeze({ channel, batch: true }))
}

/**
 * `parseTopic` for a topic that must belong to a station already known (the publishing
 * device's own): the same accepted shapes, but no id validation and no allocation, since the
 * broker runs it on every publish.
 */
export function parseOwnTopic (topic: string, stationId: string): OwnTopic | null {
  const root = TOPIC_ROOT.length
  if (!topic.startsWith(TOPIC_ROOT) || topic.charCodeAt(root) !== 47 /* / */ ||
    !topic.startsWith(stationId, root + 1) || topic.charCodeAt(root + 1 + stationId.length) !== 47) return null
  return OWN_TOPICS.get(topic.slice(root + stationId.length + 2)) ?? null
}

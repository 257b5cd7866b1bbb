// The live state of a station as the API serves it (GET /live, GET /stations/{id}/live) and
// pushes it (GET /live/stream). The web app imports these types, so the two cannot drift.
import { z } from 'zod'
import { Rule, Severity } from '../../alerts/schemas.ts'
import { Appliance } from '../../contract/payloads.ts'

export const LiveDevice = z.object({
  id: z.string(),
  kind: z.string(),
  online: z.boolean(),
  /** Last message or keep-alive seen from the device (ISO), null if never. */
  lastSeen: z.string().nullable()
})
export type LiveDevice = z.infer<typeof LiveDevice>

export const LiveClimate = z.object({
  temperature: z.number().nullable(),
  humidity: z.number().nullable(),
  co2: z.number().nullable(),
  pm25: z.number().nullable(),
  /** Comfort of the last reading against the station's comfort band. */
  comfort: z.enum(['good', 'fair', 'poor']).nullable(),
  at: z.string()
})
export type LiveClimate = z.infer<typeof LiveClimate>

export const LiveEquipment = z.object({
  appliance: Appliance,
  unit: z.int(),
  state: z.enum(['on', 'off', 'fault']),
  fault: z.string().nullable(),
  at: z.string()
})
export type LiveEquipment = z.infer<typeof LiveEquipment>

export const LiveSupply = z.object({
  item: z.string(),
  quantity: z.int(),
  capacity: z.int().nullable(),
  at: z.string(),
  /** The catalog's names (null: an item a sensor reports that the catalog does not list). */
  nameZh: z.string().nullable(),
  nameEn: z.string().nullable(),
  // From the catalog and the supply model (supplies/supply-model.ts), refreshed on a supply
  // reading, a restock or count, and periodically for the forecast (api/live/live-supplies.ts).
  /** quantity / capacity in %, null without a capacity. */
  percent: z.number().nullable(),
  threshold: z.int().nullable(),
  /** empty: nothing left; low: at or under the catalog's reorder threshold. */
  level: z.enum(['ok', 'low', 'empty']),
  timeToEmptyHours: z.number().nullable(),
  emptyAt: z.string().nullable(),
  /** 90 % band of timeToEmptyHours (low: the shelf empties sooner). */
  band: z.object({ low: z.number().nullable(), high: z.number().nullable() }),
  /** Units logged as restocked since the shelf sensor's last reading, which it has not shown yet: included in quantity (capped at capacity); 0 once the sensor reports them. */
  pendingRestock: z.int()
})
export type LiveSupply = z.infer<typeof LiveSupply>

/** The station's open alerts that fired, and how many are still pending: docs/dashboard.md. */
export const LiveAlerts = z.object({
  critical: z.int(),
  warning: z.int(),
  info: z.int(),
  /** Open alerts still in their pending period (not in the counts above, never `top`): the inbox lists them. */
  pending: z.int(),
  /** Firing and not yet acknowledged. */
  unacknowledged: z.int(),
  /** The most severe (then unacknowledged, then oldest) open alert; null without any. */
  top: z.object({
    id: z.int(),
    rule: Rule,
    /** Device, supply item or `appliance:unit`; '' for the station. */
    subject: z.string(),
    severity: Severity,
    state: z.enum(['firing', 'acknowledged']),
    /** English, as the rule wrote it; the dashboard builds its text from rule, subject, value and threshold. */
    summary: z.string(),
    value: z.number().nullable(),
    threshold: z.number().nullable(),
    /** When it fired (ISO). */
    since: z.string()
  }).nullable()
})
export type LiveAlerts = z.infer<typeof LiveAlerts>

/** quiet: open and below the busy threshold; busy: ≥ 70 % of capacity; full: at or over capacity. */
export const LiveStationState = z.enum(['quiet', 'busy', 'full', 'offline'])
export type LiveStationState = z.infer<typeof LiveStationState>

export const StationLive = z.object({
  stationId: z.string(),
  name: z.string(),
  district: z.string(),
  timezone: z.string(),
  capacity: z.int(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  status: z.enum(['active', 'suspended', 'retired']),
  state: LiveStationState,
  online: z.boolean(),
  devices: z.array(LiveDevice),
  occupancy: z.int().nullable(),
  climate: LiveClimate.nullable(),
  equipment: z.array(LiveEquipment),
  supplies: z.array(LiveSupply),
  /** Time of the last stored message of any channel (ISO), null if none. */
  lastMessageAt: z.string().nullable(),
  /** Granted entries since local midnight in the station's zone. */
  visitsToday: z.int(),
  /** Distinct workers among today's granted entries. */
  uniqueWorkersToday: z.int(),
  /** Entries per local hour today (24 numbers; 23/25 on DST days are folded into 24 clock hours). */
  entriesByHourToday: z.array(z.int()),
  /** Local date (YYYY-MM-DD) the "today" figures are for. */
  today: z.string(),
  alerts: LiveAlerts,
  /** Monotonic version of this station's state; grows with every change. */
  version: z.int()
})
export type StationLive = z.infer<typeof StationLive>

export const FleetLive = z.object({
  generatedAt: z.string(),
  stations: z.array(StationLive)
})
export type FleetLive = z.infer<typeof FleetLive>

/**
 * What the fleet view (map, table, counts per district) needs of a station, and no more:
 * GET /live/summary and /live/stream?view=summary: no devices, climate, equipment, supplies
 * or hourly entries (for the bench's 10,000 stations without history, 3.1 MB of JSON instead
 * of /live's 5.1 MB; compressed, 180 KB).
 */
export const StationLiveSummary = StationLive.pick({
  stationId: true,
  name: true,
  district: true,
  timezone: true,
  capacity: true,
  lat: true,
  lon: true,
  status: true,
  state: true,
  occupancy: true,
  lastMessageAt: true,
  visitsToday: true,
  version: true
}).extend({
  /** The last climate reading's temperature (°C), null without one. */
  temperature: z.number().nullable(),
  /** Devices online now, of `devices`. */
  devicesOnline: z.int(),
  devices: z.int(),
  /** As in StationLive; null when the station has no open alert that fired. */
  alerts: LiveAlerts.nullable()
})
export type StationLiveSummary = z.infer<typeof StationLiveSummary>

export const FleetLiveSummary = z.object({
  generatedAt: z.string(),
  /**
   * The live stream's position this answer stands for: open /live/stream?view=summary with
   * `lastEventId` set to it and the stream sends only the changes since, not a snapshot.
   */
  eventId: z.string(),
  stations: z.array(StationLiveSummary)
})
export type FleetLiveSummary = z.infer<typeof FleetLiveSummary>

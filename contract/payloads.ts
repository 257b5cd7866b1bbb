import { z } from 'zod'
import { envelope } from './envelope.ts'
import { WorkerId } from './ids.ts'

// Payload schemas, one per channel. Objects are strict: an unknown key is an error, so a
// device maker learns about a typo on the first message instead of losing a field silently.

export const DoorEvent = z.strictObject({
  ...envelope,
  direction: z.enum(['in', 'out']),
  method: z.enum(['face', 'card', 'qr', 'manual']),
  result: z.enum(['granted', 'denied']),
  // Absent when the person was not recognised (a denied face scan) or for a manual opening.
  worker: WorkerId.optional()
})
export type DoorEvent = z.infer<typeof DoorEvent>

// The door's own state, from the door controller: `held_open` when the door has stood open
// longer than the controller's own limit (a wedge, a broken closer), `closed` once it shuts.
// A separate channel, so that door access events (visits) keep their exact shape.
export const DoorStateEvent = z.strictObject({
  ...envelope,
  state: z.enum(['held_open', 'closed'])
})
export type DoorStateEvent = z.infer<typeof DoorStateEvent>

export const OccupancyReading = z.strictObject({
  ...envelope,
  // People inside now, as the people counter sees it.
  count: z.int().min(0).max(500),
  // People the counter saw entering / leaving since its previous occupancy message (optional:
  // lets the API compare counter entries with door scans, e.g. tailgating).
  entered: z.int().min(0).max(10_000).optional(),
  exited: z.int().min(0).max(10_000).optional()
})
export type OccupancyReading = z.infer<typeof OccupancyReading>

export const EnvironmentReading = z.strictObject({
  ...envelope,
  temperature: z.number().min(-40).max(85).optional(), // °C
  humidity: z.number().min(0).max(100).optional(), // % relative humidity
  co2: z.number().min(0).max(40_000).optional(), // ppm
  pm25: z.number().min(0).max(2_000).optional() // µg/m³
}).refine(
  (r) => r.temperature !== undefined || r.humidity !== undefined || r.co2 !== undefined || r.pm25 !== undefined,
  { message: 'environment reading needs at least one of temperature, humidity, co2, pm25' }
)
export type EnvironmentReading = z.infer<typeof EnvironmentReading>

export const StatusMessage = z.strictObject({
  ...envelope,
  state: z.enum(['online', 'offline']),
  firmware: z.string().min(1).max(64).regex(/^[\x20-\x7e]+$/, 'firmware: printable ASCII').optional(),
  // Seconds since the device booted; a drop shows a reboot.
  uptime: z.int().min(0).optional()
})
export type StatusMessage = z.infer<typeof StatusMessage>

// Appliances the station provides. Their state lets staff see a broken microwave or AC before
// workers complain, and usage (microwave at meal times) is part of the usage figures.
export const Appliance = z.enum(['microwave', 'ac', 'tv', 'water_dispenser', 'charger', 'fridge', 'light', 'air_purifier'])
export type Appliance = z.infer<typeof Appliance>

export const EquipmentEvent = z.strictObject({
  ...envelope,
  appliance: Appliance,
  // Several of one kind (two chargers): 1-based unit number.
  unit: z.int().min(1).max(16).default(1),
  state: z.enum(['on', 'off', 'fault']),
  powerW: z.number().min(0).max(10_000).optional(),
  // AC target temperature, °C.
  setpoint: z.number().min(10).max(35).optional(),
  // Device-specific fault code when state is 'fault'.
  fault: z.string().min(1).max(64).regex(/^[\x20-\x7e]+$/, 'fault: printable ASCII').optional()
})
export type EquipmentEvent = z.infer<typeof EquipmentEvent>

// Free supplies on the shelves, as a shelf sensor (weight or count) sees them.
export const SupplyItem = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/, 'item: slug such as instant-noodles, bottled-water, raincoat, phone-charger')
export const SupplyLevel = z.strictObject({
  ...envelope,
  item: SupplyItem,
  // Units on the shelf now.
  quantity: z.int().min(0).max(100_000),
  // Units the shelf holds when full (lets the API express a level in %).
  capacity: z.int().min(1).max(100_000).optional()
})
export type SupplyLevel = z.infer<typeof SupplyLevel>

// The supplies data model: what a station stocks (catalog), what arrives on a schedule
// (deliveries), what was put on the shelf (restocks, logged or recognised from a sensor jump),
// hand counts for stations without shelf sensors, and daily weather given for the forecast.
// Stored in the registry (migration 8, supplies/supply-store.ts); the forecast's answer shape
// is here too (docs/supplies.md).
import { z } from 'zod'
import { StationId, SupplyItem } from '../contract/index.ts'

const text = (max: number) => z.string().trim().max(max)
const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO date-time such as 2026-05-04T15:00:00+08:00' })

/** Which weather raises an item's consumption (none: not weather-driven). */
export const WEATHER_DRIVERS = ['none', 'rain', 'heat', 'cold'] as const
export const WeatherDriver = z.enum(WEATHER_DRIVERS)
export type WeatherDriver = z.infer<typeof WeatherDriver>

// One definition per field: the whole item for a PUT, every field optional for a district-wide
// change that keeps what a station has set otherwise.
const itemFields = {
  nameZh: text(100).min(1),
  nameEn: text(100).min(1),
  unit: text(30).min(1),
  capacity: z.int().min(1).max(100_000).describe('Units the shelf holds when full'),
  threshold: z.int().min(0).max(100_000).describe('Reorder threshold: restock at or below this level'),
  weather: WeatherDriver.describe('Whether the item is weather-driven (raincoats: rain; heat packs/cooling: heat; cold packs: cold)'),
  priceCents: z.int().min(0).max(10_000_000).nullable().describe('Unit price in cents (CNY fen), for the monthly cost; null: unknown')
}

export const CatalogItemInput = z.strictObject({
  nameZh: itemFields.nameZh,
  nameEn: itemFields.nameEn,
  unit: itemFields.unit.default('pcs'),
  capacity: itemFields.capacity,
  threshold: itemFields.threshold,
  weather: itemFields.weather.default('none'),
  priceCents: itemFields.priceCents.default(null)
}).refine((i) => i.threshold <= i.capacity, { path: ['threshold'], message: 'threshold must not exceed capacity' })
export type CatalogItemInput = z.input<typeof CatalogItemInput>

export const CatalogItem = z.object({
  stationId: StationId,
  item: SupplyItem,
  nameZh: z.string(),
  nameEn: z.string(),
  unit: z.string(),
  capacity: z.int(),
  threshold: z.int(),
  weather: WeatherDriver,
  priceCents: z.int().nullable(),
  updatedAt: z.string()
})
export type CatalogItem = z.infer<typeof CatalogItem>

const HhMm = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, 'time as HH:MM')

export const NewDelivery = z.strictObject({
  item: SupplyItem,
  quantity: z.int().min(1).max(100_000),
  supplier: text(200).min(1).describe('Who delivers, e.g. a donor company'),
  source: z.enum(['purchase', 'donation']).default('purchase'),
  days: z.array(z.int().min(1).max(7)).min(1).max(7).default([1, 2, 3, 4, 5, 6, 7]).transform((d) => [...new Set(d)].sort()).describe('ISO weekdays (1 = Monday)'),
  at: HhMm.describe('Local time of arrival')
})
export type NewDelivery = z.input<typeof NewDelivery>

export const Delivery = z.object({
  id: z.int(),
  stationId: StationId,
  item: SupplyItem,
  quantity: z.int(),
  supplier: z.string(),
  source: z.enum(['purchase', 'donation']),
  days: z.array(z.int()),
  at: z.string(),
  createdAt: z.string()
})
export type Delivery = z.infer<typeof Delivery>

export const RESTOCK_SOURCES = ['purchase', 'donation', 'unknown'] as const
export const NewRestock = z.strictObject({
  item: SupplyItem,
  quantity: z.int().min(1).max(100_000),
  source: z.enum(['purchase', 'donation']),
  donor: text(200).min(1).optional().describe('The donor company (required when source is donation)'),
  by: text(100).min(1).optional().describe('Who restocked (default: the token\'s name)'),
  at: isoTime.optional().describe('When (default: now)')
}).refine((r) => r.source !== 'donation' || r.donor !== undefined, { path: ['donor'], message: 'a donation names its donor' })
export type NewRestock = z.input<typeof NewRestock>

export const Restock = z.object({
  id: z.int(),
  stationId: StationId,
  item: SupplyItem,
  quantity: z.int(),
  source: z.enum(RESTOCK_SOURCES),
  donor: z.string().nullable(),
  by: z.string(),
  at: z.string(),
  kind: z.enum(['logged', 'sensor']).describe('logged by a person, or a sensor jump nobody logged'),
  /** A sensor restock later explained by a logged one is kept, marked, and never counted. */
  supersededBy: z.int().nullable(),
  createdAt: z.string()
})
export type Restock = z.infer<typeof Restock>

export const NewCount = z.strictObject({
  item: SupplyItem,
  quantity: z.int().min(0).max(100_000),
  by: text(100).min(1).optional(),
  at: isoTime.optional()
})
export type NewCount = z.input<typeof NewCount>

export const ManualCount = z.object({
  id: z.int(),
  stationId: StationId,
  item: SupplyItem,
  quantity: z.int(),
  by: z.string(),
  at: z.string()
})
export type ManualCount = z.infer<typeof ManualCount>

/** A day's weather for the forecast of weather-driven items; district '' = every station. */
export const WeatherDay = z.strictObject({
  district: text(100).default(''),
  date: z.iso.date(),
  maxC: z.number().min(-50).max(60),
  rainMm: z.number().min(0).max(1000)
})
export type WeatherDay = z.infer<typeof WeatherDay>

/** One station-item's forecast (supplies/forecast.ts): level now, rates, time to empty. */
export const ItemForecast = z.object({
  stationId: z.string(),
  item: z.string(),
  level: z.int().nullable().describe('Units on the shelf (last reading); null: never read or counted'),
  capacity: z.int().nullable(),
  percent: z.number().nullable(),
  threshold: z.int().nullable(),
  lastReadingAt: z.string().nullable(),
  levelSource: z.enum(['sensor', 'manual', 'none']),
  pendingRestock: z.int().describe('Units logged as restocked after the shelf sensor\'s last reading, which it has not shown yet: included in level (capped at capacity) until the sensor reports them'),
  perVisit: z.number().nullable().describe('Units per visit, learned (restocks excluded)'),
  rateSource: z.enum(['station', 'district', 'none']),
  ratePerHour: z.number().nullable().describe('Expected units per hour over the next 24 h'),
  timeToEmptyHours: z.number().nullable().describe('null: not empty within the horizon, or no rate'),
  timeToThresholdHours: z.number().nullable(),
  emptyAt: z.string().nullable(),
  band: z.object({ low: z.number().nullable(), high: z.number().nullable() }).describe('90 % band of timeToEmptyHours')
})
export type ItemForecast = z.infer<typeof ItemForecast>

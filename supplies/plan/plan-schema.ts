// The restock plan's JSON (GET /restock-plan): also the source of its CSV and run sheet.
import { z } from 'zod'

export const PRIORITIES = ['empty', 'urgent', 'due'] as const
export const Priority = z.enum(PRIORITIES).describe('empty: nothing left; urgent: empty within urgentHours; due: at or below the threshold within the horizon')
export type Priority = z.infer<typeof Priority>

const Hours = z.number().nullable()

export const PlanItem = z.object({
  item: z.string(),
  nameZh: z.string(),
  nameEn: z.string(),
  unit: z.string(),
  level: z.number().describe('Units on the shelf now (forecast)'),
  capacity: z.int(),
  threshold: z.int(),
  quantity: z.int().describe('Units to bring: capacity − level now (refill to full)'),
  timeToThresholdHours: Hours,
  timeToEmptyHours: Hours,
  band: z.object({ low: Hours, high: Hours }).describe('90 % band of the time to empty'),
  priority: Priority
})
export type PlanItem = z.infer<typeof PlanItem>

export const PlanStop = z.object({
  seq: z.int(),
  stationId: z.string(),
  name: z.string(),
  address: z.string(),
  district: z.string(),
  lat: z.number(),
  lon: z.number(),
  legKm: z.number().describe('From the previous stop (the depot for the first)'),
  cumulativeKm: z.number(),
  priority: Priority,
  timeToEmptyHours: Hours.describe('Soonest of its items'),
  load: z.int(),
  items: z.array(PlanItem),
  note: z.string().nullable().describe('e.g. a station needing more than the vehicle holds, visited on several trips')
})
export type PlanStop = z.infer<typeof PlanStop>

export const PlanTrip = z.object({
  trip: z.int(),
  stops: z.array(PlanStop),
  returnKm: z.number().describe('Last stop back to the depot'),
  distanceKm: z.number().describe('Closed tour depot → stops → depot'),
  load: z.int().describe('Units to load at the depot (≤ vehicle capacity)'),
  loadByItem: z.array(z.object({ item: z.string(), nameZh: z.string(), nameEn: z.string(), unit: z.string(), quantity: z.int() }))
})
export type PlanTrip = z.infer<typeof PlanTrip>

export const RestockPlan = z.object({
  generatedAt: z.string(),
  horizonHours: z.number(),
  urgentHours: z.number(),
  depot: z.object({ lat: z.number(), lon: z.number(), stationId: z.string().nullable(), name: z.string().nullable() }),
  vehicle: z.object({ capacity: z.int().nullable().describe('null: no limit, one trip'), unit: z.literal('units') }),
  totals: z.object({ stations: z.int(), items: z.int(), units: z.int(), trips: z.int(), distanceKm: z.number() }),
  trips: z.array(PlanTrip),
  unroutable: z.array(z.object({ stationId: z.string(), name: z.string(), reason: z.enum(['no_coordinates']), items: z.array(PlanItem) }))
    .describe('Stations that need supplies but have no lat/lon in the registry: not in any trip'),
  unplannable: z.array(z.object({ stationId: z.string(), item: z.string(), reason: z.enum(['no_level', 'no_capacity', 'unknown_station']) }))
    .describe('Station-items the forecast cannot place: never read or counted, or no shelf capacity'),
  method: z.object({ exactUpTo: z.int().describe('Trips of at most this many stops are routed exactly'), searchMs: z.number() })
})
export type RestockPlan = z.infer<typeof RestockPlan>

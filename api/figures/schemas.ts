// Response schemas shared by the figure endpoints, with examples for the OpenAPI document.
import { z } from 'zod'

export const Provenance = z.object({
  rollupDays: z.int().describe('Days read from the daily rollups'),
  rawDays: z.int().describe('Days computed from raw events (no rollup yet, or one being recomputed after a late upload)')
}).describe('Where the figures came from').meta({ example: { rollupDays: 30, rawDays: 1 } })

const nullableNumber = z.number().nullable()

export const OccupancyFiguresSchema = z.object({
  meanOccupancy: nullableNumber.describe('Time-weighted mean of the people count (2 decimals); null when no count was known'),
  maxOccupancy: z.int().nullable().describe('Highest count'),
  utilisation: nullableNumber.describe('Mean occupancy / capacity (4 decimals)'),
  minutesAtCapacity: z.number().describe('Minutes with the count at or over capacity (2 decimals)'),
  coverage: z.number().describe('Share of the time with a known count (a message in the last 10 minutes)')
}).meta({ example: { meanOccupancy: 3.42, maxOccupancy: 12, utilisation: 0.285, minutesAtCapacity: 37.5, coverage: 0.9931 } })

const Quantity = z.object({
  mean: z.number(),
  min: z.number(),
  max: z.number(),
  inBandShare: z.number().describe('Share of its samples inside the comfort range')
}).nullable()

export const ComfortFiguresSchema = z.object({
  samples: z.int().describe('Environment samples received'),
  comfortable: z.int().describe('Samples with every reported quantity inside the band'),
  share: nullableNumber.describe('comfortable / samples: the share of (sampled) time inside the band'),
  temperature: Quantity,
  humidity: Quantity,
  co2: Quantity,
  pm25: Quantity
}).meta({
  example: {
    samples: 1440,
    comfortable: 1296,
    share: 0.9,
    temperature: { mean: 23.41, min: 21.2, max: 27.3, inBandShare: 0.93 },
    humidity: { mean: 51.2, min: 40.1, max: 66, inBandShare: 1 },
    co2: { mean: 611, min: 421, max: 1120, inBandShare: 0.97 },
    pm25: { mean: 18.3, min: 6.1, max: 44, inBandShare: 1 }
  }
})

export const CompletenessSchema = z.object({
  environment: z.object({ expectedMinutes: z.number(), receivedMinutes: z.int(), share: nullableNumber })
    .describe('Minutes with at least one environment sample (one per 60 s is expected)'),
  occupancy: z.object({ expectedSlots: z.int(), receivedSlots: z.int(), gaps: z.int(), longestGapMinutes: z.number() })
    .describe('5-minute slots with an occupancy message (one at least every 5 minutes is expected); gaps are runs of missing slots'),
  door: z.object({ silentHours: z.int() }).describe('Hours in which the people counter saw entries but the door granted none'),
  implausible: z.array(z.enum(['door', 'occupancy', 'environment']))
    .describe('Streams with more events than devices can physically send in the time (per 24 h: 20,000 door events, 50,000 occupancy messages, 14,400 environment samples): a faulty or hostile device; the figures of such a day are not to be trusted'),
  complete: z.boolean().describe('Environment share ≥ 0.95, no occupancy gap, no silent door hour and no implausible count')
})

export const UsageFiguresSchema = z.object({
  from: z.string(),
  to: z.string(),
  visits: z.int().describe('Granted entries'),
  uniqueWorkers: z.int().describe('Distinct workers with a granted entry in the period (not a sum of days)'),
  denied: z.int().describe('Refused door events'),
  counterEntries: z.int().nullable().describe('Entries the people counter reported; null when it reported none'),
  counterMinusDoor: z.int().nullable().describe('counterEntries − visits: entries without a granted door scan (tailgating, unregistered visitors)'),
  firstTimeVisitors: z.int().nullable().describe('Workers never seen before at any station; null when unknown'),
  entriesOutsideOpeningHours: z.int()
}).meta({
  example: { from: '2026-05-01', to: '2026-05-31', visits: 10412, uniqueWorkers: 1398, denied: 211, counterEntries: 10530, counterMinusDoor: 118, firstTimeVisitors: 1043, entriesOutsideOpeningHours: 0 }
})

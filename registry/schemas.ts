import { z } from 'zod'
import { DeviceId, StationId } from '../contract/index.ts'

export function isTimeZone (tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

// IANA names only ("Asia/Shanghai", "UTC"): they end up inside InfluxQL tz('...'), so the
// shape is restricted as well as checked against the runtime's zone database.
export const TimeZone = z.string()
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/, 'timezone must be an IANA name such as Asia/Shanghai')
  .refine(isTimeZone, 'unknown IANA timezone')

export const NewStation = z.object({
  id: StationId,
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().max(500).default(''),
  lat: z.number().min(-90).max(90).nullable().default(null),
  lon: z.number().min(-180).max(180).nullable().default(null),
  timezone: TimeZone.default('Asia/Shanghai'),
  capacity: z.int().min(1).max(1000).default(10)
})
export type NewStation = z.input<typeof NewStation>

export const Station = z.object({
  id: StationId,
  name: z.string(),
  address: z.string(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  timezone: z.string(),
  capacity: z.int(),
  createdAt: z.string()
})
export type Station = z.infer<typeof Station>

export const Device = z.object({
  id: DeviceId,
  stationId: StationId,
  createdAt: z.string(),
  revokedAt: z.string().nullable()
})
export type Device = z.infer<typeof Device>

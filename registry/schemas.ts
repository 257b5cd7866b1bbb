import { z } from 'zod'
import { DeviceId, ServiceId, StationId } from '../contract/index.ts'

export function isTimeZone (tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

// IANA names only ("Asia/Shanghai", "UTC"): the shape is restricted as well as checked against
// the runtime's zone database, so a zone is safe wherever it is echoed (a query, a file name).
export const TimeZone = z.string()
  .regex(/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/, 'timezone must be an IANA name such as Asia/Shanghai')
  .refine(isTimeZone, 'unknown IANA timezone')

export const AMENITIES = ['microwave', 'ac', 'tv', 'water_dispenser', 'first_aid_kit', 'charger', 'toilet', 'wifi', 'fridge', 'washbasin'] as const
export const Amenity = z.enum(AMENITIES)

const HhMm = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'time as HH:MM (00:00-24:00)')
// '24h', or ranges per ISO weekday (1 = Monday). A range may cross midnight (22:00-06:00).
export const OpeningHours = z.union([
  z.literal('24h'),
  z.array(z.object({
    days: z.array(z.int().min(1).max(7)).min(1).max(7),
    open: HhMm,
    close: HhMm
  })).min(1).max(14)
])
export type OpeningHours = z.infer<typeof OpeningHours>

export const StationStatus = z.enum(['active', 'suspended', 'retired'])
export type StationStatus = z.infer<typeof StationStatus>

// Which datum a station's lat/lon is in: WGS-84 (GPS, OpenStreetMap) or GCJ-02 (the offset
// datum of maps of mainland China, e.g. a position picked on AMap). The dashboard converts
// positions to its tile layer's datum (web/src/map/datum.ts).
export const DATUMS = ['wgs84', 'gcj02'] as const
export const Datum = z.enum(DATUMS, { error: () => `datum must be one of ${DATUMS.join(', ')}` })
export type Datum = z.infer<typeof Datum>

const text = (max: number) => z.string().trim().max(max)

// One definition per field; NewStation adds defaults, StationPatch makes every field optional
// (defaults must not apply to a patch: an absent field means "unchanged").
const fields = {
  name: text(200).min(1),
  address: text(500),
  district: text(100),
  lat: z.number().min(-90).max(90).nullable(),
  lon: z.number().min(-180).max(180).nullable(),
  datum: Datum,
  timezone: TimeZone,
  capacity: z.int().min(1).max(1000),
  areaM2: z.number().positive().max(10_000).nullable(),
  openingHours: OpeningHours,
  amenities: z.array(Amenity).max(AMENITIES.length).transform((a) => [...new Set(a)].sort())
}

export const NewStation = z.strictObject({
  id: StationId,
  name: fields.name,
  address: fields.address.default(''),
  district: fields.district.default(''),
  lat: fields.lat.default(null),
  lon: fields.lon.default(null),
  datum: fields.datum.default('wgs84'),
  timezone: fields.timezone.default('Asia/Shanghai'),
  capacity: fields.capacity.default(10),
  areaM2: fields.areaM2.default(null),
  openingHours: fields.openingHours.default('24h'),
  amenities: fields.amenities.default([])
})
export type NewStation = z.input<typeof NewStation>

export const StationPatch = z.strictObject({
  ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof fields]: z.ZodOptional<(typeof fields)[K]> },
  status: StationStatus.optional()
}).refine((p) => Object.values(p).some((v) => v !== undefined), 'nothing to change')
export type StationPatch = z.input<typeof StationPatch>

export const Station = z.object({
  id: StationId,
  name: z.string(),
  address: z.string(),
  district: z.string(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  datum: Datum.describe('Datum of lat/lon: wgs84 (GPS) or gcj02 (maps of mainland China)'),
  timezone: z.string(),
  capacity: z.int(),
  areaM2: z.number().nullable(),
  openingHours: OpeningHours,
  amenities: z.array(Amenity),
  status: StationStatus,
  createdAt: z.string(),
  updatedAt: z.string().nullable()
})
export type Station = z.infer<typeof Station>

// Which channels a device of each kind may publish: a stolen shelf sensor cannot fake door
// events. `hub` is a gateway that speaks for the whole station.
export const DEVICE_KINDS = ['door', 'sensors', 'shelf', 'hub'] as const
export const DeviceKind = z.enum(DEVICE_KINDS)
export type DeviceKind = z.infer<typeof DeviceKind>

export const Device = z.object({
  id: DeviceId,
  stationId: StationId,
  kind: DeviceKind,
  createdAt: z.string(),
  rotatedAt: z.string().nullable(),
  revokedAt: z.string().nullable()
})
export type Device = z.infer<typeof Device>

// Service clients: read-only live data of the stations in scope, or also commands to them.
export const SERVICE_PERMISSIONS = ['subscribe', 'subscribe+commands'] as const
export const ServicePermission = z.enum(SERVICE_PERMISSIONS)
export type ServicePermission = z.infer<typeof ServicePermission>

export const MAX_SCOPE_STATIONS = 1000

// Which stations a service may follow. `district` is resolved when the service connects (and
// its connections are dropped when a station joins or leaves the district), so a station added
// later is in scope without editing the service.
export const ServiceScope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('district'), district: fields.district.min(1) }),
  z.strictObject({ kind: z.literal('stations'), stations: z.array(StationId).min(1).max(MAX_SCOPE_STATIONS) })
])
export type ServiceScope = z.infer<typeof ServiceScope>

// People's API tokens are scoped the same way (api/auth/station-scope.ts enforces it).
export const StationScope = ServiceScope
export type StationScope = ServiceScope

export const NewService = z.strictObject({
  id: ServiceId,
  name: fields.name,
  scope: ServiceScope,
  permission: ServicePermission.default('subscribe')
})
export type NewService = z.input<typeof NewService>

export const ServicePatch = z.strictObject({
  name: fields.name.optional(),
  scope: ServiceScope.optional(),
  permission: ServicePermission.optional()
}).refine((p) => Object.values(p).some((v) => v !== undefined), 'nothing to change')
export type ServicePatch = z.input<typeof ServicePatch>

export const Service = z.object({
  id: ServiceId,
  name: z.string(),
  scope: ServiceScope,
  permission: ServicePermission,
  status: z.enum(['active', 'revoked']),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
  rotatedAt: z.string().nullable(),
  revokedAt: z.string().nullable()
})
export type Service = z.infer<typeof Service>

export const ROLES = ['viewer', 'operator', 'admin'] as const
export const Role = z.enum(ROLES)
export type Role = z.infer<typeof Role>

export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  scope: StationScope,
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable()
})
export type ApiToken = z.infer<typeof ApiToken>

export const AuditEntry = z.object({
  id: z.int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable()
})
export type AuditEntry = z.infer<typeof AuditEntry>

// The API's response types, inferred from the same zod schemas the server validates with.
// Type-only imports: nothing of the server is bundled into the web app.
import type { z } from 'zod'
import type { FleetLive, FleetLiveColumns, FleetLiveSummary, StationLive, StationLiveSummary, LiveStationState } from '../../../api/live/schemas.ts'
import type { ApiToken, AuditEntry, Device, Role, Service, Station, StationScope } from '../../../registry/schemas.ts'
import type { UsageBody } from '../../../api/routes/usage.ts'
import type { OccupancyBody } from '../../../api/routes/occupancy.ts'
import type { PeakHoursBody } from '../../../api/routes/peak-hours.ts'
import type { DwellBody } from '../../../api/routes/dwell.ts'
import type { ComfortBody } from '../../../api/routes/comfort.ts'
import type { CompletenessBody } from '../../../api/routes/completeness.ts'
import type { FleetBody } from '../../../api/routes/fleet.ts'

export type { ApiToken, AuditEntry, Device, FleetLive, FleetLiveColumns, FleetLiveSummary, LiveStationState, StationLiveSummary, Role, Service, Station, StationLive, StationScope }
export type Usage = z.infer<typeof UsageBody>
export type Occupancy = z.infer<typeof OccupancyBody>
export type PeakHours = z.infer<typeof PeakHoursBody>
export type Dwell = z.infer<typeof DwellBody>
export type Comfort = z.infer<typeof ComfortBody>
export type Completeness = z.infer<typeof CompletenessBody>
export type FleetSummary = z.infer<typeof FleetBody>

/** POST /session, GET /session (the contract of api/auth's cookie sessions). */
export type Session = {
  name: string
  role: Role
  scope: StationScope
  expiresAt: string | null
  csrfToken: string
}

/** Why a session ended, as GET /session's 401 says (or 'no_session'); 'signed_out_elsewhere': its cookie was cleared by another tab. */
export type SignedOutReason = 'session_expired' | 'token_revoked' | 'signed_out' | 'signed_out_elsewhere' | 'no_session' | 'bad_token'

// Supplies (docs/supplies.md).
export type LiveSupply = StationLive['supplies'][number]
export type { RestockPlan, PlanStop, PlanItem } from '../../../supplies/plan/plan-schema.ts'
export type { Restock, NewRestock, CatalogItem, CatalogItemInput, Delivery, NewDelivery } from '../../../supplies/schemas.ts'

export type Range = { from: string, to: string }
export type WithSecret<K extends string, T> = { [P in K]: T } & { secret: string }

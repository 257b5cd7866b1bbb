import { z } from 'zod'

// Identifiers that appear in MQTT topics, InfluxDB tags and URLs. They are deliberately narrow
// (lower-case slug) so that one validation serves all three places: no MQTT wildcard or level
// separator, nothing that needs escaping in line protocol, nothing that needs URL-encoding.
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/

export const StationId = z.string().regex(SLUG, 'station id: 1-64 chars of a-z, 0-9 and "-", not starting or ending with "-"')
export type StationId = z.infer<typeof StationId>

export const DeviceId = z.string().regex(SLUG, 'device id: 1-64 chars of a-z, 0-9 and "-", not starting or ending with "-"')
export type DeviceId = z.infer<typeof DeviceId>

// A service client (dashboard live feed, alerting, operator console) logs in to the broker with
// its id as MQTT username, like a device; the registry keeps the two sets of ids disjoint.
export const ServiceId = z.string().regex(SLUG, 'service id: 1-64 chars of a-z, 0-9 and "-", not starting or ending with "-"')
export type ServiceId = z.infer<typeof ServiceId>

// A worker is identified only by a pseudonym the door controller derives on the device, for
// example `w_` + hex(HMAC-SHA256(station-group salt, enrolment id))[0..32]. Names, phone
// numbers, ID-card numbers and face data can never match this pattern, so they are refused at
// the edge instead of being stored by accident.
export const WorkerId = z.string().regex(/^w_[0-9a-f]{16,64}$/, 'worker must be a pseudonymous id: "w_" followed by 16-64 lower-case hex digits')
export type WorkerId = z.infer<typeof WorkerId>

// A station's live state cut down to what the fleet view draws (StationLiveSummary): less
// JSON to send, parse and keep per station on the first load of a big fleet, and each change
// pushed on /live/stream?view=summary a few hundred bytes.
import type { StationLive, StationLiveSummary } from './schemas.ts'

export function summarise (v: StationLive): StationLiveSummary {
  let online = 0
  for (const d of v.devices) if (d.online) online++
  const a = v.alerts
  return {
    stationId: v.stationId,
    name: v.name,
    district: v.district,
    timezone: v.timezone,
    capacity: v.capacity,
    lat: v.lat,
    lon: v.lon,
    status: v.status,
    state: v.state,
    occupancy: v.occupancy,
    temperature: v.climate?.temperature ?? null,
    devicesOnline: online,
    devices: v.devices.length,
    lastMessageAt: v.lastMessageAt,
    visitsToday: v.visitsToday,
    alerts: a.top === null && a.critical + a.warning + a.info === 0 ? null : a,
    version: v.version
  }
}

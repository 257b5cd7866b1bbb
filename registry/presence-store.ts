import type { SqlDb } from './db/sql-db.ts'

export type PresenceUpdate = {
  deviceId: string
  brokerId: string
  connected: boolean
  lastSeenAt: string
  connectedAt?: string
  disconnectedAt?: string
  disconnectReason?: string
}

export type DevicePresence = {
  deviceId: string
  connected: boolean
  lastSeenAt: string
  connectedAt: string | null
  disconnectedAt: string | null
  disconnectReason: string | null
}

export type DeviceLiveness = { deviceId: string, stationId: string, kind: string, connected: boolean, lastSeenAt: string | null }

type Row = { device_id: string, connected: number, last_seen_at: string, connected_at: string | null, disconnected_at: string | null, disconnect_reason: string | null }
type DeviceRow = { id: string, station_id: string, kind: string, connected: number | null, last_seen_at: string | null }

// Times are ISO strings of one format (toISOString), so text order is time order in both
// dialects. The later last_seen_at is a CASE, not max()/GREATEST (sqlite has only the one,
// postgres only the other); the existing row is named by its table, which postgres requires
// where a bare column would be ambiguous with excluded's.
const UPSERT = `
  INSERT INTO device_presence (device_id, broker_id, connected, last_seen_at, connected_at, disconnected_at, disconnect_reason)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (device_id) DO UPDATE SET
    broker_id = excluded.broker_id,
    connected = excluded.connected,
    last_seen_at = CASE WHEN excluded.last_seen_at > device_presence.last_seen_at THEN excluded.last_seen_at ELSE device_presence.last_seen_at END,
    connected_at = coalesce(excluded.connected_at, device_presence.connected_at),
    disconnected_at = coalesce(excluded.disconnected_at, device_presence.disconnected_at),
    disconnect_reason = CASE WHEN excluded.connected = 1 THEN NULL ELSE coalesce(excluded.disconnect_reason, device_presence.disconnect_reason) END
  -- Brokers of a cluster write in whatever order (docs/cluster.md): a broker changes the row
  -- of a device last recorded through another only with a newer connect. A connect written
  -- late by a node that has since lost the device to another node stays out.
  WHERE excluded.broker_id = device_presence.broker_id
    OR (excluded.connected_at IS NOT NULL AND excluded.connected_at >= coalesce(device_presence.connected_at, ''))`

const ALL_DEVICES = `
  SELECT d.id, d.station_id, d.kind, p.connected, p.last_seen_at FROM devices d
  LEFT JOIN device_presence p ON p.device_id = d.id WHERE d.revoked_at IS NULL ORDER BY d.station_id, d.id`

/** Device presence as the broker last reported it; the API may read it from another process. */
export function createPresenceStore (db: SqlDb) {
  return {
    /** Applies updates in one transaction (the broker flushes in batches). */
    async record (updates: readonly PresenceUpdate[]): Promise<void> {
      if (updates.length === 0) return
      await db.transaction(async (tx) => {
        for (const u of updates) {
          await tx.run(UPSERT, [u.deviceId, u.brokerId, u.connected ? 1 : 0, u.lastSeenAt, u.connectedAt ?? null, u.disconnectedAt ?? null, u.disconnectReason ?? null])
        }
      })
    },
    /** A broker (re)starting has no connections: whatever it recorded as connected is not. */
    async resetBroker (brokerId: string, at: string, reason: string): Promise<void> {
      await db.run(`UPDATE device_presence SET connected = 0, disconnected_at = ?, disconnect_reason = ?
        WHERE broker_id = ? AND connected = 1`, [at, reason, brokerId])
    },
    /** Every device that is not revoked, with its presence (null when it never connected). */
    devices: (): Promise<DeviceRow[]> => db.all<DeviceRow>(ALL_DEVICES),
    /**
     * A device's connection through `brokerId` is gone (that broker died); a no-op when the
     * device has connected through another broker since. True when the row changed.
     */
    async connectionLost (deviceId: string, brokerId: string, at: string, reason: string): Promise<boolean> {
      const { changes } = await db.run(`UPDATE device_presence SET connected = 0, disconnected_at = ?, disconnect_reason = ?
        WHERE device_id = ? AND broker_id = ? AND connected = 1`, [at, reason, deviceId, brokerId])
      return changes > 0
    },
    /** Every unrevoked device of every station with its presence, in one query (the live view polls it). */
    async allDevices (): Promise<DeviceLiveness[]> {
      return (await db.all<DeviceRow>(ALL_DEVICES))
        .map((r) => ({ deviceId: r.id, stationId: r.station_id, kind: r.kind, connected: r.connected === 1, lastSeenAt: r.last_seen_at }))
    },
    async ofStation (stationId: string): Promise<DevicePresence[]> {
      const rows = await db.all<Row>(`SELECT p.* FROM device_presence p JOIN devices d ON d.id = p.device_id
        WHERE d.station_id = ? ORDER BY p.device_id`, [stationId])
      return rows.map((r) => ({
        deviceId: r.device_id,
        connected: r.connected === 1,
        lastSeenAt: r.last_seen_at,
        connectedAt: r.connected_at,
        disconnectedAt: r.disconnected_at,
        disconnectReason: r.disconnect_reason
      }))
    }
  }
}

export type PresenceStore = ReturnType<typeof createPresenceStore>

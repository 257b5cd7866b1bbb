// The map's tile layer as the API is configured (GET /web-config, public): null when no
// WEB_MAP_TILE_URL is set, or when the API is older or unreachable (the map then draws
// stations on a plane, as without tiles).
import type { MapTiles, WebConfig } from '../../../api/web-config.ts'

export type { MapTiles }

export async function loadMapTiles (): Promise<MapTiles | null> {
  try {
    const res = await fetch('/web-config', { credentials: 'same-origin', headers: { accept: 'application/json' } })
    if (!res.ok) return null
    const body = await res.json() as Partial<WebConfig>
    return body.map?.tiles ?? null
  } catch {
    return null
  }
}

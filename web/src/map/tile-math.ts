// Web-Mercator ("slippy map") tile arithmetic, as OpenStreetMap, AMap and every XYZ tile
// server number their tiles: at zoom z the world is 2^z × 2^z tiles of 256 px, x from
// longitude -180°, y from latitude +85.0511° (the square's edge) downwards. Positions are kept
// in "world units": pixels at zoom 0, so the world is 0…256 on both axes. No DOM.

export const TILE_SIZE = 256
/** Latitude where the Mercator square ends (atan(sinh(π))). */
export const MAX_LATITUDE = 85.0511287798066

export type WorldPoint = { x: number, y: number }
export type TileKey = { z: number, x: number, y: number }

/** A WGS-84-like lat/lon (in the tile layer's datum) as world units, y downwards. */
export function toWorld (lat: number, lon: number): WorldPoint {
  const clamped = Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat))
  const sin = Math.sin(clamped * Math.PI / 180)
  return {
    x: (lon + 180) / 360 * TILE_SIZE,
    y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * TILE_SIZE
  }
}

/** The inverse of toWorld. */
export function fromWorld (p: WorldPoint): { lat: number, lon: number } {
  const n = Math.PI - 2 * Math.PI * p.y / TILE_SIZE
  return { lat: Math.atan(Math.sinh(n)) * 180 / Math.PI, lon: p.x / TILE_SIZE * 360 - 180 }
}

/** The tile (and the fraction within it) that holds a world point at zoom z. */
export function tileAt (p: WorldPoint, z: number): { x: number, y: number, fx: number, fy: number } {
  const scale = 2 ** z / TILE_SIZE
  const tx = p.x * scale
  const ty = p.y * scale
  return { x: Math.floor(tx), y: Math.floor(ty), fx: tx - Math.floor(tx), fy: ty - Math.floor(ty) }
}

/**
 * The zoom whose tiles are closest to their natural size when one world unit is `pxPerUnit`
 * screen pixels (tiles are then drawn at 181-362 px), within 0…maxZoom: beyond maxZoom the
 * last level is scaled up.
 */
export function zoomFor (pxPerUnit: number, maxZoom: number): number {
  if (!(pxPerUnit > 0) || !Number.isFinite(pxPerUnit)) return 0
  return Math.max(0, Math.min(maxZoom, Math.round(Math.log2(pxPerUnit))))
}

/**
 * The tiles at zoom z covering the world rectangle [x0, x1] × [y0, y1] (y downwards). Rows
 * outside the world are left out; columns wrap around the antimeridian (the tile numbers
 * drawn are unwrapped, `x` for the URL is wrapped). At most `limit` tiles.
 */
export function tilesCovering (x0: number, x1: number, y0: number, y1: number, z: number, limit = 400): Array<TileKey & { col: number }> {
  const n = 2 ** z
  const scale = n / TILE_SIZE
  const c0 = Math.floor(Math.min(x0, x1) * scale)
  // Right and bottom edges are exclusive: a rectangle ending on a tile's edge does not need it.
  const c1 = Math.max(c0, Math.ceil(Math.max(x0, x1) * scale) - 1)
  const r0 = Math.max(0, Math.floor(Math.min(y0, y1) * scale))
  const r1 = Math.min(n - 1, Math.ceil(Math.max(y0, y1) * scale) - 1)
  const out: Array<TileKey & { col: number }> = []
  for (let row = r0; row <= r1; row++) {
    for (let col = c0; col <= c1; col++) {
      if (out.length >= limit) return out
      out.push({ z, x: ((col % n) + n) % n, y: row, col })
    }
  }
  return out
}

/** The tile's URL: {z}, {x}, {y}, and {s} = one of the subdomains, chosen by the tile so a tile always has the same URL (browser cache). */
export function tileUrl (template: string, t: TileKey, subdomains: readonly string[]): string {
  const sub = subdomains.length ? subdomains[Math.abs(t.x + t.y) % subdomains.length]! : ''
  return template.replaceAll('{s}', sub).replaceAll('{z}', String(t.z)).replaceAll('{x}', String(t.x)).replaceAll('{y}', String(t.y))
}

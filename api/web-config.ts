// What the dashboard is told about its deployment before anyone signs in (GET /web-config):
// today the map's optional tile layer. Parsed from WEB_MAP_TILE_* in platform/config.ts; the
// CSP of index.html (api/web-app.ts) allows images from the tile server's origins and from
// nowhere else.
import { z } from 'zod'
import type { Config } from '../platform/config.ts'
import { Datum } from '../registry/schemas.ts'

export const MapTiles = z.object({
  url: z.string().describe('URL template: {z}, {x}, {y} (Web-Mercator tile numbers, XYZ / "slippy map" order), optional {s} (a subdomain)'),
  subdomains: z.array(z.string()).describe('Substituted for {s}, one per tile in turn'),
  datum: Datum.describe('Datum the tiles are drawn in: wgs84 (OpenStreetMap and its mirrors) or gcj02 (AMap, Tencent)'),
  attribution: z.string().describe('Shown on the map, as the tile provider requires'),
  maxZoom: z.int().min(0).max(22)
})
export type MapTiles = z.infer<typeof MapTiles>

export const WebConfig = z.object({
  map: z.object({ tiles: MapTiles.nullable().describe('null: no tile server; stations are drawn on a plane') })
})
export type WebConfig = z.infer<typeof WebConfig>

/** The tile server origins (one per subdomain) for the CSP's img-src. */
export function tileOrigins (tiles: MapTiles | null): string[] {
  if (!tiles) return []
  const subs = tiles.url.includes('{s}') ? tiles.subdomains : ['']
  return [...new Set(subs.map((s) => new URL(fillTemplate(tiles.url, s)).origin))]
}

/** The template with {s} = `sub` and sample tile numbers: what a valid template must parse as. */
export function fillTemplate (url: string, sub: string): string {
  return url.replaceAll('{s}', sub).replaceAll('{z}', '0').replaceAll('{x}', '0').replaceAll('{y}', '0')
}

export type MapTilesConfig = Pick<Config, 'WEB_MAP_TILE_URL' | 'WEB_MAP_TILE_SUBDOMAINS' | 'WEB_MAP_TILE_DATUM' | 'WEB_MAP_TILE_ATTRIBUTION' | 'WEB_MAP_TILE_MAX_ZOOM'>

/**
 * The tile layer of a configuration; null without WEB_MAP_TILE_URL. loadConfig fills the
 * defaults; a hand-made partial config (tests, embedders of startApi) gets the same ones.
 */
export function mapTilesFromConfig (c: Partial<MapTilesConfig>): MapTiles | null {
  if (c.WEB_MAP_TILE_URL === undefined) return null
  return {
    url: c.WEB_MAP_TILE_URL,
    subdomains: c.WEB_MAP_TILE_URL.includes('{s}') ? c.WEB_MAP_TILE_SUBDOMAINS ?? ['a', 'b', 'c'] : [],
    datum: c.WEB_MAP_TILE_DATUM ?? 'wgs84',
    attribution: c.WEB_MAP_TILE_ATTRIBUTION ?? '',
    maxZoom: c.WEB_MAP_TILE_MAX_ZOOM ?? 18
  }
}

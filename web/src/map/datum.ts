// WGS-84 ↔ GCJ-02. Maps of mainland China (AMap, Tencent, and most Chinese tile servers) are
// drawn in GCJ-02, a WGS-84 position shifted by a published-by-reverse-engineering offset of a
// few hundred metres; a WGS-84 point drawn on such tiles lands in the wrong street. The forward
// formula is the standard public one (as in eviltransform and gcoord, with the Krasovsky 1940
// ellipsoid's a and e²); the offset is only applied inside mainland China's bounding box,
// which is also what those providers do. The inverse has no closed form: it is found by
// fixed-point iteration to well under a millimetre. No DOM, no runtime imports: shared by the web app
// and by Node tests. The datum names are the registry's (a station's `datum`).
import type { Datum } from '../../../registry/schemas.ts'

export type { Datum }

export type LatLon = { lat: number, lon: number }

const A = 6378245.0
const EE = 0.00669342162296594323

/** Outside this box (mainland China's, as the providers define it) GCJ-02 equals WGS-84. */
export function outOfChina (lat: number, lon: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

function transformLat (x: number, y: number): number {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
  r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3
  r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3
  return r
}

function transformLon (x: number, y: number): number {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3
  r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3
  r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3
  return r
}

/** The GCJ-02 offset at a WGS-84 position, in degrees. */
function offset (lat: number, lon: number): LatLon {
  const radLat = lat / 180 * Math.PI
  const s = Math.sin(radLat)
  const magic = 1 - EE * s * s
  const sqrtMagic = Math.sqrt(magic)
  const dLat = transformLat(lon - 105, lat - 35) * 180 / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI)
  const dLon = transformLon(lon - 105, lat - 35) * 180 / (A / sqrtMagic * Math.cos(radLat) * Math.PI)
  return { lat: dLat, lon: dLon }
}

export function wgs84ToGcj02 (p: LatLon): LatLon {
  if (outOfChina(p.lat, p.lon)) return { lat: p.lat, lon: p.lon }
  const d = offset(p.lat, p.lon)
  return { lat: p.lat + d.lat, lon: p.lon + d.lon }
}

// 1e-10° is ~0.01 mm; the offset's slope is small (well under 0.01 per degree), so each step
// gains several digits and 2-4 steps suffice. The bound only guards against a non-finite input.
const INVERSE_TOLERANCE = 1e-10
const INVERSE_MAX_STEPS = 30

export function gcj02ToWgs84 (p: LatLon): LatLon {
  if (outOfChina(p.lat, p.lon)) return { lat: p.lat, lon: p.lon }
  // First guess: subtract the offset at the GCJ-02 point, then correct by the residual.
  let w = { lat: p.lat, lon: p.lon }
  for (let i = 0; i < INVERSE_MAX_STEPS; i++) {
    const g = wgs84ToGcj02(w)
    const dLat = g.lat - p.lat
    const dLon = g.lon - p.lon
    w = { lat: w.lat - dLat, lon: w.lon - dLon }
    if (Math.abs(dLat) < INVERSE_TOLERANCE && Math.abs(dLon) < INVERSE_TOLERANCE) break
  }
  return w
}

/** A position in datum `from` expressed in datum `to`. */
export function convertDatum (p: LatLon, from: Datum, to: Datum): LatLon {
  if (from === to) return { lat: p.lat, lon: p.lon }
  return from === 'wgs84' ? wgs84ToGcj02(p) : gcj02ToWgs84(p)
}

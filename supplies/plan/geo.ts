// Great-circle distances between stations and the depot. Haversine on a sphere of the mean
// Earth radius (IUGG 6,371.0088 km): within 0.5 % of the ellipsoid, far closer than a road
// network is to a straight line, and all the route optimiser needs is a consistent metric.
export type LatLon = { lat: number, lon: number }

const EARTH_RADIUS_KM = 6371.0088
const RAD = Math.PI / 180

export function haversineKm (a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD
  const dLon = (b.lon - a.lon) * RAD
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** A symmetric distance matrix over n points, row-major: `d[i * n + j]`. */
export type DistanceMatrix = { n: number, d: Float64Array }

export function distanceMatrix (points: readonly LatLon[]): DistanceMatrix {
  const n = points.length
  const d = new Float64Array(n * n)
  // cos(lat) once per point: the matrix of 1,001 points is half a million pairs.
  const lat = points.map((p) => p.lat * RAD)
  const lon = points.map((p) => p.lon * RAD)
  const cos = lat.map(Math.cos)
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const h = Math.sin((lat[j]! - lat[i]!) / 2) ** 2 + cos[i]! * cos[j]! * Math.sin((lon[j]! - lon[i]!) / 2) ** 2
      const km = 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)))
      d[i * n + j] = km
      d[j * n + i] = km
    }
  }
  return { n, d }
}

/** Length of the closed tour depot → stops in order → depot (node indices into the matrix). */
export function tourLength (m: DistanceMatrix, depot: number, order: readonly number[]): number {
  let prev = depot
  let sum = 0
  for (const s of order) { sum += m.d[prev * m.n + s]!; prev = s }
  return sum + m.d[prev * m.n + depot]!
}

/**
 * `depot=lat,lon` as the query gives it: two decimal numbers in range, else null (the caller
 * then tries a station id).
 */
export function parseLatLon (s: string): LatLon | null {
  const m = /^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(s)
  if (m === null) return null
  const lat = Number(m[1])
  const lon = Number(m[2])
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : null
}

// The restock plan: which station-items need a refill within the horizon, how much, and in
// which trips and order a vehicle from the depot brings it (docs/supplies.md, "Restock plan").
//   - selected: level at or below the threshold now, or reaching it within the horizon;
//     quantity = capacity − level now (refill to full);
//   - priority by time to empty: `empty` (nothing left), `urgent` (empty within urgentHours),
//     `due` (below threshold within the horizon);
//   - a trip is a closed tour depot → stops → depot. Urgent stops are routed first: the giant
//     tour is (tour of urgent stops) then (tour of the others), cut into trips by capacity, so
//     every urgent stop rides a trip that leaves before any trip without one; inside a trip the
//     order is the shortest (exact up to EXACT_MAX_STOPS stops), its direction the one that
//     reaches the soonest-empty stops earlier.
import { EXACT_MAX_STOPS, exactTour } from './exact-tour.ts'
import { distanceMatrix, tourLength, type DistanceMatrix, type LatLon } from './geo.ts'
import { heuristicTour } from './local-search.ts'
import type { PlanInput, Unplannable } from './plan-input.ts'
import type { PlanItem, PlanStop, PlanTrip, Priority, RestockPlan } from './plan-schema.ts'
import { splitTour } from './split.ts'

export type PlanStation = { id: string, name: string, address: string, district: string, lat: number | null, lon: number | null }

export type PlanOptions = {
  depot: LatLon & { stationId: string | null, name: string | null }
  horizonHours: number
  urgentHours: number
  /** Units per trip; null: one vehicle trip carries everything. */
  capacity: number | null
  now: number
  /** Time the route search may take before it returns what it has (ms, default 500). */
  searchBudgetMs?: number
}

const RANK: Record<Priority, number> = { empty: 0, urgent: 1, due: 2 }

export function selectItems (inputs: readonly PlanInput[], horizonHours: number, urgentHours: number): PlanItem[] {
  const out: PlanItem[] = []
  for (const i of inputs) {
    const below = i.level <= i.threshold || (i.timeToThresholdHours !== null && i.timeToThresholdHours <= horizonHours)
    const quantity = i.capacity - Math.max(0, i.level)
    if (!below || quantity <= 0) continue
    const tte = i.level <= 0 ? 0 : i.timeToEmptyHours
    const priority: Priority = i.level <= 0 ? 'empty' : tte !== null && tte <= urgentHours ? 'urgent' : 'due'
    out.push({ item: i.item, nameZh: i.nameZh, nameEn: i.nameEn, unit: i.unit, level: i.level, capacity: i.capacity, threshold: i.threshold, quantity, timeToThresholdHours: i.level <= i.threshold ? 0 : i.timeToThresholdHours, timeToEmptyHours: tte, band: i.band, priority })
  }
  return out
}

type Visit = { station: PlanStation, items: PlanItem[], load: number, priority: Priority, tte: number | null, note: string | null }

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d
const byUrgency = (a: PlanItem, b: PlanItem) => RANK[a.priority] - RANK[b.priority] || (a.timeToEmptyHours ?? Infinity) - (b.timeToEmptyHours ?? Infinity)

function visitOf (station: PlanStation, items: PlanItem[], note: string | null): Visit {
  const first = [...items].sort(byUrgency)[0]!
  const ttes = items.map((i) => i.timeToEmptyHours).filter((x): x is number => x !== null)
  return { station, items, load: items.reduce((n, i) => n + i.quantity, 0), priority: first.priority, tte: ttes.length > 0 ? Math.min(...ttes) : null, note }
}

/** A station needing more than the vehicle holds: full loads on trips of their own, the rest routed. */
function splitOversized (station: PlanStation, items: PlanItem[], capacity: number): { full: Visit[], rest: Visit | null } {
  const total = items.reduce((n, i) => n + i.quantity, 0)
  const visits = Math.ceil(total / capacity)
  const loads: PlanItem[][] = [[]]
  let room = capacity
  for (const it of [...items].sort(byUrgency)) {
    let left = it.quantity
    while (left > 0) {
      if (room === 0) { loads.push([]); room = capacity }
      const q = Math.min(left, room)
      loads[loads.length - 1]!.push({ ...it, quantity: q })
      left -= q; room -= q
    }
  }
  const note = (k: number) => `split: ${total} units, vehicle holds ${capacity}: visit ${k} of ${visits}`
  const all = loads.map((l, k) => visitOf(station, l, note(k + 1)))
  const last = all[all.length - 1]!
  return last.load === capacity ? { full: all, rest: null } : { full: all.slice(0, -1), rest: last }
}

function route (m: DistanceMatrix, stops: number[], deadline: number): number[] {
  return stops.length <= EXACT_MAX_STOPS ? exactTour(m, 0, stops) : heuristicTour(m, 0, stops, { deadline })
}

export function buildRestockPlan (inputs: readonly PlanInput[], stations: readonly PlanStation[], unplannable: readonly Unplannable[], o: PlanOptions): RestockPlan {
  const t0 = performance.now()
  const deadline = t0 + (o.searchBudgetMs ?? 500)
  const byId = new Map(stations.map((s) => [s.id, s]))
  const perStation = new Map<string, PlanItem[]>()
  const known = inputs.filter((i) => byId.has(i.stationId))
  for (const i of known) {
    const [item] = selectItems([i], o.horizonHours, o.urgentHours)
    if (item !== undefined) perStation.set(i.stationId, [...perStation.get(i.stationId) ?? [], item])
  }
  const unroutable: RestockPlan['unroutable'] = []
  const routed: Visit[] = []
  const dedicated: Visit[] = []
  for (const [id, items] of perStation) {
    const s = byId.get(id)!
    if (s.lat === null || s.lon === null) { unroutable.push({ stationId: id, name: s.name, reason: 'no_coordinates', items }); continue }
    const load = items.reduce((n, i) => n + i.quantity, 0)
    if (o.capacity !== null && load > o.capacity) {
      const { full, rest } = splitOversized(s, items, o.capacity)
      dedicated.push(...full)
      if (rest !== null) routed.push(rest)
    } else routed.push(visitOf(s, items, null))
  }
  const points: LatLon[] = [o.depot, ...routed.map((v) => ({ lat: v.station.lat!, lon: v.station.lon! })), ...dedicated.map((v) => ({ lat: v.station.lat!, lon: v.station.lon! }))]
  const m = distanceMatrix(points)
  const urgentNodes: number[] = []
  const dueNodes: number[] = []
  routed.forEach((v, i) => (v.priority === 'due' ? dueNodes : urgentNodes).push(i + 1))
  const visitAt = (node: number) => node <= routed.length ? routed[node - 1]! : dedicated[node - 1 - routed.length]!
  const giant = [...route(m, urgentNodes, deadline), ...route(m, dueNodes, deadline)]
  const cuts = giant.length === 0 ? [] : o.capacity === null ? [giant] : splitTour(m, 0, giant, (node) => visitAt(node).load, o.capacity)
  const ded = dedicated.map((_, i) => [routed.length + 1 + i])
  const urgentDed = ded.filter((t) => visitAt(t[0]!).priority !== 'due')
  const dueDed = ded.filter((t) => visitAt(t[0]!).priority === 'due')
  const trips = [...urgentDed, ...cuts.map((t) => orient(m, route(m, t, deadline), visitAt)), ...dueDed]
    .map((order, k) => tripOf(m, order, visitAt, k + 1))
  return {
    generatedAt: new Date(o.now).toISOString(),
    horizonHours: o.horizonHours,
    urgentHours: o.urgentHours,
    depot: { lat: o.depot.lat, lon: o.depot.lon, stationId: o.depot.stationId, name: o.depot.name },
    vehicle: { capacity: o.capacity, unit: 'units' },
    totals: {
      stations: perStation.size,
      items: [...perStation.values()].reduce((n, l) => n + l.length, 0),
      units: [...perStation.values()].flat().reduce((n, i) => n + i.quantity, 0),
      trips: trips.length,
      distanceKm: round(trips.reduce((n, t) => n + t.distanceKm, 0))
    },
    trips,
    unroutable,
    unplannable: [...unplannable, ...inputs.filter((i) => !byId.has(i.stationId)).map((i) => ({ stationId: i.stationId, item: i.item, reason: 'unknown_station' as const }))],
    method: { exactUpTo: EXACT_MAX_STOPS, searchMs: round(performance.now() - t0, 1) }
  }
}

/** The direction of a closed tour that reaches soon-empty stops earlier (same length both ways). */
function orient (m: DistanceMatrix, order: number[], visitAt: (node: number) => Visit): number[] {
  const cost = (o: number[]) => {
    let at = 0, prev = 0, sum = 0
    for (const s of o) { at += m.d[prev * m.n + s]!; prev = s; sum += at / (1 + (visitAt(s).tte ?? 1e6)) }
    return sum
  }
  const back = [...order].reverse()
  return cost(back) < cost(order) ? back : order
}

function tripOf (m: DistanceMatrix, order: number[], visitAt: (node: number) => Visit, trip: number): PlanTrip {
  let prev = 0
  let cumulative = 0
  const stops: PlanStop[] = order.map((node, i) => {
    const v = visitAt(node)
    const leg = m.d[prev * m.n + node]!
    cumulative += leg
    prev = node
    return { seq: i + 1, stationId: v.station.id, name: v.station.name, address: v.station.address, district: v.station.district, lat: v.station.lat!, lon: v.station.lon!, legKm: round(leg), cumulativeKm: round(cumulative), priority: v.priority, timeToEmptyHours: v.tte === null ? null : round(v.tte, 1), load: v.load, items: [...v.items].sort(byUrgency), note: v.note }
  })
  const perItem = new Map<string, { item: string, nameZh: string, nameEn: string, unit: string, quantity: number }>()
  for (const s of stops) for (const i of s.items) {
    const x = perItem.get(i.item) ?? { item: i.item, nameZh: i.nameZh, nameEn: i.nameEn, unit: i.unit, quantity: 0 }
    x.quantity += i.quantity
    perItem.set(i.item, x)
  }
  const returnKm = order.length === 0 ? 0 : m.d[prev * m.n]!
  return { trip, stops, returnKm: round(returnKm), distanceKm: round(tourLength(m, 0, order)), load: stops.reduce((n, s) => n + s.load, 0), loadByItem: [...perItem.values()].sort((a, b) => a.item.localeCompare(b.item)) }
}

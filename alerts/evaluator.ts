import type { AnyEvent } from '../contract/index.ts'
import type { Logger } from '../platform/logger.ts'
import type { AlertSettingsStore } from '../registry/alert-settings-store.ts'
import type { AlertStore } from '../registry/alert-store.ts'
import { effectiveSettings } from './defaults.ts'
import { CLEAR, FIRE, nextStep, type Tracked, type Verdict } from './lifecycle.ts'
import { createEntryHistory, hourOf } from './entry-history.ts'
import { comfortRules } from './rules/comfort-rules.ts'
import { equipmentRules } from './rules/equipment-rules.ts'
import { presenceRules } from './rules/presence-rules.ts'
import type { RuleContext, RuleFamily } from './rules/rule-context.ts'
import { silentDoorRule } from './rules/silent-door-rule.ts'
import type { Alert, Rule, RuleOverride, RuleSettings } from './schemas.ts'
import { applyEvent, deviceOf, newStationState, type StationState } from './station-state.ts'


export type EvaluatorDeps = {
  alerts: AlertStore
  settings: AlertSettingsStore
  /** Runs fn in one registry transaction (the stores' statements inside it join it). */
  transaction: <T>(fn: () => Promise<T>) => Promise<T>
  /** Active stations with their devices and presence, re-read every `refreshMs`. */
  fleet: () => Fleet | Promise<Fleet>
  clock: () => number
  logger: Logger
  /**
   * Evaluate every station at every tick, as the evaluator did before it kept a schedule: the
   * reference test/alerts-schedule.test.ts holds the schedule to (same alerts, same ticks).
   */
  fullScan?: boolean
}

export type Fleet = Array<{ id: string, district: string, timezone: string, capacity: number, devices: Array<{ id: string, kind: string, connected: boolean | null, lastSeenAt: number }> }>

type Op = { key: string, station: StationState, rule: Rule, subject: string, step: NonNullable<ReturnType<typeof nextStep>>, value: number | null, threshold: number | null, summary: () => string }

const keyOf = (station: string, rule: string, subject: string) => `${station}\u0000${rule}\u0000${subject}`
const ms = (iso: string | null): number => iso === null ? 0 : Date.parse(iso)

function tracked (a: Alert): Tracked {
  return { id: a.id, state: a.state, pendingSince: ms(a.pendingSince), firedAt: ms(a.firedAt), clearingSince: ms(a.clearingSince), escalationLevel: a.escalationLevel }
}

/**
 * When the lifecycle's step for an alert may change while its verdict stays `v` (nextStep gave
 * no step): the pending period, the hold-off or the next escalation running out.
 */
function lifecycleDue (t: Tracked | undefined, v: Verdict, s: RuleSettings): number {
  if (t === undefined || !s.enabled) return Infinity
  if (t.state === 'pending') return v === FIRE ? t.pendingSince + s.pendingS * 1000 : Infinity
  if (t.state === 'resolved') return Infinity
  let due = v === CLEAR && t.clearingSince !== 0 ? t.clearingSince + s.holdOffS * 1000 : Infinity
  const e = t.state === 'firing' ? s.escalation[t.escalationLevel] : undefined
  if (e !== undefined) due = Math.min(due, t.firedAt + e.afterS * 1000)
  return due
}

/**
 * Rule evaluation: `onStored` updates per-station state (O(1), the ingest hot path); `tick`
 * (every second) runs every rule over the stations that need it, decides each alert's next
 * step (alerts/lifecycle.ts) and writes all of a tick's changes in one transaction. Memory
 * follows the registry, never leads it: a step that did not commit is decided again next tick.
 * Only the registry reads and writes are async: the rules run synchronously over the stations,
 * so a tick awaits once per step taken, never once per station. `load`, `refresh` and `tick`
 * must not overlap (start-alerts.ts runs them one after another).
 *
 * Which stations a tick evaluates: a verdict or a step can only change when the station's state
 * changes (an event, the fleet or settings re-read, an alert step of its own) or when time
 * passes a point the rules and the lifecycle name (`ctx.due`, lifecycleDue). So a station is
 * evaluated when it is dirty or due, and otherwise skipped: the steady state of a large fleet
 * costs the few stations that reported since the last tick.
 */
export function createEvaluator (deps: EvaluatorDeps) {
  const { alerts, settings, clock, logger } = deps
  const stations = new Map<string, StationState>()
  const open = new Map<string, Tracked>()
  let overrides: RuleOverride[] = []
  let settingsVersion = ''
  // Effective settings per station (fleet < district < station overrides over the defaults).
  const cache = new Map<string, Partial<Record<Rule, RuleSettings>>>()
  const fullScan = deps.fullScan === true
  let stale = false
  // Stations first seen in an event since the running refresh began: its fleet, read before
  // them, does not know them yet, and they are not dropped for that (the next refresh decides).
  const arrived = new Set<string>()
  // Door entries per hour, learnt for the silent-door rule; counts are written at every refresh
  // and at each new hour (a crash loses a few seconds of learning, never an alert).
  const history = createEntryHistory(settings)
  const startedAt = clock()
  let learnHour = hourOf(startedAt)
  const families: RuleFamily[] = [presenceRules, comfortRules, equipmentRules, silentDoorRule(history, startedAt)]

  /** Writes the entries counted since the last flush to `learnHour`, then moves on to now's hour. */
  async function flushEntries (now: number): Promise<void> {
    const rows: Array<{ stationId: string, hour: number, entries: number }> = []
    for (const s of stations.values()) if (s.entriesThisHour > 0) rows.push({ stationId: s.id, hour: learnHour, entries: s.entriesThisHour })
    // Entries counted while the write is under way stay counted for the next flush.
    for (const s of stations.values()) s.entriesThisHour = 0
    try {
      await deps.transaction(() => history.record(rows, now))
    } catch (err) {
      for (const r of rows) { const s = stations.get(r.stationId); if (s !== undefined) s.entriesThisHour += r.entries }
      logger.error({ err: (err as Error).message }, 'cannot record door entries; keeping them for the next try')
      return
    }
    learnHour = hourOf(now)
  }

  async function load (): Promise<void> {
    await history.load(clock())
    open.clear()
    for (const a of await alerts.listOpen()) open.set(keyOf(a.stationId, a.rule, a.subject), tracked(a))
    for (const s of stations.values()) s.dirty = true
  }

  async function refresh (): Promise<void> {
    stale = false
    arrived.clear()
    const now = clock()
    await flushEntries(now)
    const v = await settings.version()
    if (v !== settingsVersion) {
      overrides = await settings.overrides(); settingsVersion = v; cache.clear()
      for (const s of stations.values()) s.dirty = true
    }
    const seen = new Set<string>()
    for (const f of await deps.fleet()) {
      seen.add(f.id)
      let s = stations.get(f.id)
      if (s === undefined) { s = newStationState(f.id, f.district, f.timezone, f.capacity); stations.set(f.id, s) } else if (s.district !== f.district || s.capacity !== f.capacity || s.timezone !== f.timezone) {
        s.district = f.district; s.capacity = f.capacity; s.timezone = f.timezone
        cache.delete(f.id)
        s.dirty = true
      }
      const offlineMs = settingsFor(s, 'station_offline').threshold * 1000
      for (const d of f.devices) {
        const known = s.devices.get(d.id)
        const st = known ?? deviceOf(s, d.id, d.kind)
        if (known === undefined || st.kind !== d.kind) { st.kind = d.kind; s.dirty = true }
        if (d.connected !== null && d.connected !== st.connected) { st.connected = d.connected; s.dirty = true }
        if (d.lastSeenAt > st.presenceSeenAt) {
          // Seen later than we knew. While the device counted as seen anyway, no verdict moves
          // (only its due times, which then come early: harmless); after a silence it may.
          if (now - Math.max(st.lastEventAt, st.presenceSeenAt) >= offlineMs) s.dirty = true
          st.presenceSeenAt = d.lastSeenAt
        }
      }
    }
    for (const id of stations.keys()) if (!seen.has(id) && !arrived.has(id)) { stations.delete(id); cache.delete(id) } // suspended, retired or deleted
  }

  function settingsFor (s: StationState, rule: Rule): RuleSettings {
    let c = cache.get(s.id)
    if (c === undefined) cache.set(s.id, c = {})
    return c[rule] ??= effectiveSettings(rule, { stationId: s.id, district: s.district }, overrides)
  }

  async function tick (): Promise<number> {
    if (stale) await refresh()
    const now = clock()
    if (hourOf(now) !== learnHour) await flushEntries(now)
    const ops: Op[] = []
    let station: StationState
    let due = Infinity
    const ctx: RuleContext = {
      now,
      settings: (rule) => settingsFor(station, rule),
      emit: (rule, subject, verdict: Verdict, value, threshold, summary) => {
        const key = keyOf(station.id, rule, subject)
        const t = open.get(key)
        const rs = settingsFor(station, rule)
        const step = nextStep(t, verdict, rs, now)
        if (step !== null) ops.push({ key, station, rule, subject, step, value, threshold, summary })
        else { const at = lifecycleDue(t, verdict, rs); if (at < due) due = at }
      },
      due: (at) => { if (at < due) due = at }
    }
    for (const s of stations.values()) {
      if (!fullScan && !s.dirty && s.dueAt > now) continue
      station = s
      s.dirty = false
      due = Infinity
      for (const family of families) family(s, ctx)
      s.dueAt = due
    }
    if (ops.length > 0) {
      await write(ops, now)
      // A station that took a step (or failed to) is evaluated again next tick: its alerts'
      // times changed, and a step that did not commit is decided again.
      for (const o of ops) o.station.dirty = true
    }
    return ops.length
  }

  async function write (ops: Op[], now: number): Promise<void> {
    const at = new Date(now).toISOString()
    const results: Array<[string, Alert | null]> = []
    try {
      await deps.transaction(async () => {
        for (const o of ops) {
          const t = open.get(o.key)
          const s = settingsFor(o.station, o.rule)
          switch (o.step.op) {
            case 'open': {
              const { alert } = await alerts.open({ stationId: o.station.id, district: o.station.district, rule: o.rule, subject: o.subject, severity: s.severity, summary: o.summary(), value: o.value, threshold: o.threshold, at })
              // No pending period: it fires in the same tick (and the same transaction).
              const fired = alert.state === 'pending' && s.pendingS === 0 ? await alerts.fire(alert.id, at, o.value, o.summary()) : null
              results.push([o.key, fired ?? alert])
              break
            }
            case 'fire': results.push([o.key, await alerts.fire(t!.id, at, o.value, o.summary()) ?? await alerts.get(t!.id)]); break
            case 'cancel': results.push([o.key, await alerts.cancel(t!.id, at) ?? await alerts.get(t!.id)]); break
            case 'resolve': results.push([o.key, await alerts.resolve(t!.id, at, 'system', null) ?? await alerts.get(t!.id)]); break
            case 'escalate': results.push([o.key, await alerts.escalate(t!.id, o.step.level, o.step.target, at) ?? await alerts.get(t!.id)]); break
            case 'clearing':
              // null: resolved meanwhile (an operator), dropped from memory below.
              results.push([o.key, await alerts.setClearing(t!.id, o.step.since === 0 ? null : new Date(o.step.since).toISOString(), o.value, at)])
              break
          }
        }
      })
    } catch (err) {
      // Nothing committed: memory is unchanged and the same steps are decided next tick.
      logger.error({ err: (err as Error).message, changes: ops.length }, 'cannot record alert changes; retrying next tick')
      return
    }
    // An alert another writer moved (an operator resolved it) is taken as the registry has it.
    for (const [key, a] of results) {
      if (a === null || a.state === 'resolved') open.delete(key)
      else open.set(key, tracked(a))
    }
  }

  return {
    load,
    refresh,
    tick,
    /** ingest's stored hook: cheap, synchronous, never throws on a station it does not know. */
    onStored (stationId: string, event: AnyEvent): void {
      let s = stations.get(stationId)
      if (s === undefined) {
        // A station added since the last refresh: keep its events, learn its facts before the next tick.
        s = newStationState(stationId, '', 'UTC', 1)
        stations.set(stationId, s)
        arrived.add(stationId)
        stale = true
      }
      applyEvent(s, event, clock())
    },
    stations: () => stations,
    openCount: () => open.size,
    /** Stations the next tick at `now` would evaluate (the schedule's size; bench and tests). */
    dueCount: (now: number): number => { let n = 0; for (const s of stations.values()) if (s.dirty || s.dueAt <= now) n++; return n }
  }
}

export type Evaluator = ReturnType<typeof createEvaluator>

// The alert store, the alert settings store and the notifier store (issue 15 item 3) on both
// registry dialects: opening never duplicates, every move is a conditional UPDATE committed with
// its transition, two writers cannot both move an alert (on PostgreSQL from two connection
// pools, as two processes would), the list's stations filter, silences, settings and hourly
// entries, and the notifier's webhooks, cursor, queue and notifications.
import { afterEach, describe, expect, test } from 'vitest'
import { createNotifyStore } from '../alerts/notify/notify-store.ts'
import type { AlertTransition } from '../alerts/schemas.ts'
import { createAlertSettingsStore } from '../registry/alert-settings-store.ts'
import { createAlertStore, type NewAlert } from '../registry/alert-store.ts'
import { migrateSql } from '../registry/db/migrate-sql.ts'
import { createPostgresDb } from '../registry/db/pg-db.ts'
import type { SqlDb } from '../registry/db/sql-db.ts'
import { createScopedDb } from '../registry/scoped-db.ts'
import { createTestPostgresDatabase } from './support/postgres.ts'
import { openTestSqlDb, SQL_DIALECTS, type SqlDialect } from './support/sql-dbs.ts'

const T0 = Date.now() - 3_600_000
const iso = (ms: number) => new Date(ms).toISOString()
const newAlert = (stationId: string, at = T0, over: Partial<NewAlert> = {}): NewAlert => ({
  stationId, district: 'futian', rule: 'temperature_high', subject: '', severity: 'warning', summary: '31 °C inside', value: 31, threshold: 30, at: iso(at), ...over
})

const disposers: Array<() => Promise<void>> = []
afterEach(async () => { for (const d of disposers.splice(0).reverse()) await d() })

/**
 * The stores over a migrated database, as open-registry.ts wires them (a scoped db, so that a
 * transaction is joined by every store's statements). `other`: the same stores over a second
 * handle on the same database: a second connection pool on PostgreSQL (another process); on
 * SQLite, whose writers are serialised anyway, the same handle.
 */
async function open (dialect: SqlDialect) {
  let a: SqlDb
  let b: SqlDb
  let raw: SqlDb
  if (dialect === 'sqlite') {
    const t = await openTestSqlDb('sqlite')
    disposers.push(t.dispose)
    raw = t.db
    a = b = createScopedDb(t.db)
  } else {
    const database = await createTestPostgresDatabase('alert_stores')
    raw = createPostgresDb(database.url)
    const second = createPostgresDb(database.url)
    disposers.push(async () => { await raw.close(); await second.close(); await database.drop() })
    await migrateSql(raw)
    a = createScopedDb(raw)
    b = createScopedDb(second)
  }
  const stores = (db: SqlDb) => ({ db, alerts: createAlertStore(db), settings: createAlertSettingsStore(db), notify: createNotifyStore(db) })
  return { ...stores(a), other: stores(b), raw }
}

async function poll (what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.each(SQL_DIALECTS)('%s', (dialect) => {
  test('opening the same station, rule and subject again returns the open alert; once resolved, a new one opens', async () => {
    const { alerts } = await open(dialect)
    const first = await alerts.open(newAlert('s1'))
    expect(first.created).toBe(true)
    expect(first.alert).toMatchObject({ stationId: 's1', rule: 'temperature_high', state: 'pending', pendingSince: iso(T0), value: 31, threshold: 30, escalationLevel: 0, firedAt: null })
    expect(await alerts.open(newAlert('s1', T0 + 1000, { summary: 'later' }))).toEqual({ alert: first.alert, created: false })
    // A different subject is a different alert.
    expect((await alerts.open(newAlert('s1', T0, { subject: 'ac-2' }))).created).toBe(true)
    // Both at once (two transactions; on postgres the second waits on the unique index).
    const both = await Promise.all([alerts.open(newAlert('s2')), alerts.open(newAlert('s2'))])
    expect(both.map((b) => b.created).sort()).toEqual([false, true])
    expect(both[0].alert.id).toBe(both[1].alert.id)
    expect((await alerts.history(first.alert.id)).map((t) => [t.kind, t.fromState, t.toState, t.notify])).toEqual([['pending', null, 'pending', false]])
    expect((await alerts.history(both[0].alert.id)).map((t) => t.kind)).toEqual(['pending'])

    await alerts.fire(first.alert.id, iso(T0 + 60_000), 32, 'x')
    await alerts.resolve(first.alert.id, iso(T0 + 120_000), 'system', null)
    const next = await alerts.open(newAlert('s1', T0 + 180_000))
    expect(next.created).toBe(true)
    expect(next.alert.id).not.toBe(first.alert.id)
    expect((await alerts.listOpen()).map((a) => [a.stationId, a.subject])).toEqual([['s1', 'ac-2'], ['s2', ''], ['s1', '']])
    expect(await alerts.openCounts()).toEqual([{ rule: 'temperature_high', severity: 'warning', state: 'pending', n: 3 }])
  })

  test('each move is a conditional update with its transition, committed together: a failed transaction leaves neither', async () => {
    const { db, alerts } = await open(dialect)
    const at = (s: number) => iso(T0 + s * 1000)
    const { alert } = await alerts.open(newAlert('s1'))
    expect(await alerts.acknowledge(alert.id, at(1), 'token:1:ops', 'n')).toBeNull() // pending: not yet
    expect(await alerts.resolve(alert.id, at(1), 'token:1:ops', 'n')).toBeNull()
    expect(await alerts.escalate(alert.id, 1, 'district-oncall', at(1))).toBeNull()

    await expect(db.transaction(async () => {
      expect(await alerts.fire(alert.id, at(60), 33, 'hot')).toMatchObject({ state: 'firing' })
      throw new Error('the rest of the tick failed')
    })).rejects.toThrow('the rest of the tick failed')
    expect((await alerts.get(alert.id))!.state).toBe('pending')
    expect((await alerts.history(alert.id)).map((t) => t.kind)).toEqual(['pending'])

    expect(await db.transaction(() => alerts.fire(alert.id, at(60), 33, 'hot'))).toMatchObject({ state: 'firing', firedAt: at(60), value: 33, summary: 'hot', clearingSince: null })
    expect(await alerts.fire(alert.id, at(61), 34, 'hotter')).toBeNull() // only from pending
    expect(await alerts.setClearing(alert.id, at(70), null, at(70))).toMatchObject({ clearingSince: at(70), value: 33 }) // null keeps the value
    expect(await alerts.escalate(alert.id, 1, 'district-oncall', at(360))).toMatchObject({ state: 'firing', escalationLevel: 1 })
    expect(await alerts.escalate(alert.id, 1, 'district-oncall', at(361))).toBeNull() // already there
    expect(await alerts.acknowledge(alert.id, at(400), 'token:1:ops', 'on my way')).toMatchObject({ state: 'acknowledged', acknowledgedAt: at(400), acknowledgedBy: 'token:1:ops' })
    expect(await alerts.escalate(alert.id, 2, 'union-office', at(900))).toBeNull() // acknowledged: no escalation
    expect(await alerts.resolve(alert.id, at(1000), 'token:1:ops', 'fixed')).toMatchObject({ state: 'resolved', resolvedBy: 'token:1:ops', clearingSince: null })
    expect(await alerts.setClearing(alert.id, at(1001), 20, at(1001))).toBeNull() // resolved: not touched
    const h = await alerts.history(alert.id)
    expect(h.map((t) => [t.kind, t.fromState, t.toState, t.actor, t.note, t.notify, t.target, t.escalationLevel])).toEqual([
      ['pending', null, 'pending', 'system', null, false, null, 0],
      ['fired', 'pending', 'firing', 'system', null, true, null, 0],
      ['escalated', 'firing', 'firing', 'system', null, true, 'district-oncall', 1],
      ['acknowledged', 'firing', 'acknowledged', 'token:1:ops', 'on my way', true, null, 1],
      ['resolved', 'acknowledged', 'resolved', 'token:1:ops', 'fixed', true, null, 1]
    ])
    expect((await alerts.transitionsAfter(h[1]!.id, 2)).map((t) => t.id)).toEqual([h[2]!.id, h[3]!.id])

    const other = (await alerts.open(newAlert('s2'))).alert
    expect(await alerts.cancel(other.id, at(5))).toMatchObject({ state: 'resolved', resolvedBy: 'system' })
    expect((await alerts.history(other.id)).map((t) => [t.kind, t.notify])).toEqual([['pending', false], ['cancelled', false]])
    expect(await alerts.openCounts()).toEqual([])
  })

  test('two writers moving the same alert: only one wins, and only its transition is written', async () => {
    const { db, alerts, other, raw } = await open(dialect)
    const { alert } = await alerts.open(newAlert('s1'))
    await alerts.fire(alert.id, iso(T0 + 60_000), 33, 'hot')

    // The operator's resolve holds its transaction open after the update; the evaluator's
    // acknowledge (another connection on postgres) reads the alert as firing meanwhile and
    // tries to move it too.
    let moved = false
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const first = db.transaction(async () => {
      const r = await alerts.resolve(alert.id, iso(T0 + 120_000), 'token:1:ops', 'fixed')
      moved = true
      await held
      return r
    })
    await poll('the first move', () => moved)
    const second = other.alerts.acknowledge(alert.id, iso(T0 + 121_000), 'token:2:other', 'mine')
    try {
      if (dialect === 'postgres') {
        // The second writer waits for the first transaction (its lock, or the row's).
        await poll('the second writer to wait', async () =>
          (await raw.get<{ n: number }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))!.n > 0, 5000)
      }
    } finally {
      release()
    }
    const [won, lost] = await Promise.all([first, second])
    expect(won).toMatchObject({ state: 'resolved', resolvedBy: 'token:1:ops' })
    expect(lost).toBeNull()
    expect((await alerts.history(alert.id)).map((t) => t.kind)).toEqual(['pending', 'fired', 'resolved'])

    // Many races without holding anything back: one winner each.
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => alerts.open(newAlert(`r${i}`)).then((o) => alerts.fire(o.alert.id, iso(T0), 1, 'x'))))
    const results = await Promise.all(many.map((a) => Promise.all([
      alerts.resolve(a!.id, iso(T0 + 1000), 'token:1:a', null),
      other.alerts.resolve(a!.id, iso(T0 + 1000), 'token:2:b', null)
    ])))
    for (const [i, [x, y]] of results.entries()) {
      expect([x, y].filter((r) => r !== null), `alert ${many[i]!.id}`).toHaveLength(1)
      expect((await alerts.history(many[i]!.id)).filter((t) => t.kind === 'resolved')).toHaveLength(1)
    }
  })

  test('transitions commit in id order: while one writer\'s transaction is open, another\'s transition waits (the notifier\'s cursor skips none)', async () => {
    const { db, alerts, other, raw } = await open(dialect)
    const [x, y] = [(await alerts.open(newAlert('s1'))).alert, (await alerts.open(newAlert('s2'))).alert]
    const last = (await alerts.history(y.id)).at(-1)!.id
    let moved = false
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    const first = db.transaction(async () => {
      await alerts.fire(x.id, iso(T0 + 60_000), 33, 'hot')
      moved = true
      await held
    })
    await poll('the first move', () => moved)
    const second = other.alerts.fire(y.id, iso(T0 + 61_000), 34, 'hot') // another alert: no row in common
    try {
      if (dialect === 'postgres') {
        await poll('the second writer to wait', async () =>
          (await raw.get<{ n: number }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))!.n > 0, 5000)
        // What the notifier's outbox reader sees meanwhile: nothing after its cursor yet, in
        // particular not the second transition ahead of the first's lower id.
        expect(await other.alerts.transitionsAfter(last, 10)).toEqual([])
      }
    } finally {
      release()
      await Promise.all([first, second])
    }
    const after = await alerts.transitionsAfter(last, 10)
    expect(after.map((t) => [t.alertId, t.kind])).toEqual([[x.id, 'fired'], [y.id, 'fired']])
  })

  test('the list: newest first, filtered, paged, and limited to a caller\'s stations (also thousands of them)', async () => {
    const { alerts } = await open(dialect)
    const ids: number[] = []
    for (let i = 0; i < 6; i++) {
      const o = await alerts.open(newAlert(`s${i % 3}`, T0 + i * 60_000, { rule: i % 2 === 0 ? 'temperature_high' : 'co2_high', district: i < 3 ? 'futian' : 'nanshan' }))
      ids.push(o.alert.id)
    }
    await alerts.cancel(ids[0]!, iso(T0 + 30_000))
    const list = async (q: Parameters<typeof alerts.list>[0], stations?: string[]) => (await alerts.list(q, stations)).map((a) => a.id)
    expect(await list({ limit: 100 })).toEqual([...ids].reverse())
    expect(await list({ state: 'open', limit: 100 })).toEqual(ids.slice(1).reverse())
    expect(await list({ state: 'resolved', limit: 100 })).toEqual([ids[0]])
    expect(await list({ rule: 'co2_high', district: 'nanshan', limit: 100 })).toEqual([ids[5], ids[3]])
    expect(await list({ station: 's1', severity: 'warning', limit: 100 })).toEqual([ids[4], ids[1]])
    expect(await list({ limit: 2 })).toEqual([ids[5], ids[4]])
    expect(await list({ limit: 2, before: ids[4] })).toEqual([ids[3], ids[2]])
    // Open at some point in [from, to): the one cancelled at T0+30 s is over before T0+1 min.
    expect(await list({ from: iso(T0 + 60_000), to: iso(T0 + 180_000), limit: 100 })).toEqual([ids[2], ids[1]])
    expect(await list({ limit: 100 }, ['s0', 's2'])).toEqual([ids[5], ids[3], ids[2], ids[0]])
    expect(await list({ state: 'open', limit: 100 }, ['s0'])).toEqual([ids[3]])
    expect(await list({ limit: 100 }, [])).toEqual([])
    const thousands = [...Array.from({ length: 5000 }, (_, i) => `other-${i}`), 's1']
    expect(await list({ limit: 100 }, thousands)).toEqual([ids[4], ids[1]])
    // A station id is data, never SQL.
    expect(await list({ limit: 100 }, ["s1' OR '1'='1", '"s2"'])).toEqual([])
    // No limit to speak of (the monthly report asks for everything in a range).
    expect(await list({ limit: Number.MAX_SAFE_INTEGER }, ['s1'])).toEqual([ids[4], ids[1]])
  })

  test('silences: active and future ones, ended now (never later than planned), ended once', async () => {
    const { settings } = await open(dialect)
    const now = T0 + 600_000
    const s = await settings.addSilence({ scope: 'district', scopeId: 'futian', endsAt: iso(now + 3_600_000), reason: 'power works' }, 'token:1:ops', iso(now))
    expect(s).toMatchObject({ scope: 'district', scopeId: 'futian', rule: null, startsAt: iso(now), endsAt: iso(now + 3_600_000), createdBy: 'token:1:ops', endedAt: null })
    const later = await settings.addSilence({ scope: 'station', scopeId: 's1', rule: 'co2_high', startsAt: iso(now + 7_200_000), endsAt: iso(now + 9_000_000), reason: 'cleaning' }, 'cli:ops', iso(now))
    const short = await settings.addSilence({ scope: 'station', scopeId: 's2', endsAt: iso(now + 60_000), reason: 'a minute' }, 'cli:ops', iso(now))
    expect((await settings.activeSilences(iso(now + 1000))).map((x) => x.id)).toEqual([s.id, short.id])
    expect((await settings.currentSilences(iso(now + 1000))).map((x) => x.id)).toEqual([short.id, later.id, s.id])
    expect((await settings.currentSilences(iso(now + 1000), 1)).map((x) => x.id)).toEqual([short.id])
    expect(await settings.silence(later.id)).toEqual(later)

    // Ended before its end: the end moves to now.
    const ended = await settings.endSilence(s.id, 'token:2:lead', iso(now + 120_000))
    expect(ended).toEqual({ before: s, after: { ...s, endsAt: iso(now + 120_000), endedAt: iso(now + 120_000), endedBy: 'token:2:lead' } })
    expect(await settings.endSilence(s.id, 'token:2:lead', iso(now + 130_000))).toBeNull()
    // Ended after it ran out: its end stays.
    expect((await settings.endSilence(short.id, 'cli:ops', iso(now + 300_000)))!.after).toMatchObject({ endsAt: iso(now + 60_000), endedAt: iso(now + 300_000) })
    expect(await settings.endSilence(999_999, 'cli:ops', iso(now))).toBeNull()
    expect(await settings.activeSilences(iso(now + 200_000))).toEqual([])
    expect((await settings.activeSilences(iso(now + 7_300_000))).map((x) => x.id)).toEqual([later.id])
  })

  test('rule overrides round trip, the settings version moves; hourly entries add up across statements and calls', async () => {
    const { settings } = await open(dialect)
    const v0 = await settings.version()
    expect(await settings.overrides()).toEqual([])
    const set = await settings.setOverride('district', 'futian', 'co2_high', { threshold: 1400, pendingS: 60 }, 'token:1:admin', iso(T0))
    expect(set).toEqual({ before: null, after: { scope: 'district', scopeId: 'futian', rule: 'co2_high', settings: { threshold: 1400, pendingS: 60 }, updatedAt: iso(T0), updatedBy: 'token:1:admin' } })
    const v1 = await settings.version()
    expect(v1).not.toBe(v0)
    const replaced = await settings.setOverride('district', 'futian', 'co2_high', { threshold: 1300 }, 'cli:ops', iso(T0 + 1000))
    expect(replaced.before).toEqual(set.after)
    expect(replaced.after).toMatchObject({ settings: { threshold: 1300 }, updatedBy: 'cli:ops' })
    expect(await settings.version()).not.toBe(v1)
    await settings.setOverride('fleet', '', 'temperature_high', { enabled: false }, 'cli:ops', iso(T0 + 2000))
    expect((await settings.overrides()).map((o) => [o.scope, o.rule])).toEqual([['district', 'co2_high'], ['fleet', 'temperature_high']])
    expect(await settings.override('fleet', '', 'temperature_high')).toMatchObject({ settings: { enabled: false } })
    const removed = await settings.setOverride('district', 'futian', 'co2_high', {}, 'cli:ops', iso(T0 + 3000))
    expect(removed).toEqual({ before: replaced.after, after: null })
    expect(await settings.override('district', 'futian', 'co2_high')).toBeNull()

    // More rows than one statement takes, and the same station and hour twice in one call.
    const rows = Array.from({ length: 1200 }, (_, i) => ({ stationId: `s${i % 40}`, hour: 1000 + Math.floor(i / 40), entries: 2 }))
    await settings.addHourlyEntries([...rows, { stationId: 's0', hour: 1000, entries: 5 }])
    await settings.addHourlyEntries([{ stationId: 's0', hour: 1000, entries: 1 }])
    await settings.addHourlyEntries([])
    const all = await settings.hourlyEntriesSince(0)
    expect(all).toHaveLength(1200)
    expect(all.find((r) => r.station_id === 's0' && r.hour === 1000)).toEqual({ station_id: 's0', hour: 1000, entries: 8 })
    expect(all.reduce((n, r) => n + r.entries, 0)).toBe(2400 + 6)
    await settings.pruneHourlyEntries(1020)
    const kept = await settings.hourlyEntriesSince(0)
    expect(kept).toHaveLength(400)
    expect(kept.every((r) => r.hour >= 1020)).toBe(true)
  })

  test('the notifier store: webhooks, the cursor, the queue and its decisions, notifications and their attempts', async () => {
    const { alerts, notify } = await open(dialect)
    const at = iso(T0)
    const hook = await notify.webhooks.add({ name: 'ops', url: 'https://hooks.example.org/a', scope: 'district', scopeId: 'futian', allAlerts: true, targets: ['district-oncall'], enabled: true }, 'whsec_1', at)
    expect(hook).toMatchObject({ name: 'ops', scope: 'district', scopeId: 'futian', allAlerts: true, targets: ['district-oncall'], enabled: true, createdAt: at, updatedAt: null, deletedAt: null })
    const off = await notify.webhooks.add({ name: 'off', url: 'https://hooks.example.org/b', scope: 'all', scopeId: '', allAlerts: false, targets: [], enabled: false }, 'whsec_2', at)
    expect(off).toMatchObject({ allAlerts: false, enabled: false })
    expect((await notify.webhooks.list()).map((w) => w.id)).toEqual([hook.id, off.id])
    expect((await notify.webhooks.active()).map((w) => [w.id, w.secret])).toEqual([[hook.id, 'whsec_1']])
    expect(await notify.webhooks.update(off.id, { enabled: true, allAlerts: true, name: 'on' }, iso(T0 + 1))).toMatchObject({ name: 'on', enabled: true, allAlerts: true, updatedAt: iso(T0 + 1) })
    expect(await notify.webhooks.rotate(hook.id, 'whsec_3', iso(T0 + 2))).toMatchObject({ rotatedAt: iso(T0 + 2) })
    expect(await notify.webhooks.secretOf(hook.id)).toBe('whsec_3')
    expect(await notify.webhooks.remove(off.id, iso(T0 + 3))).toBe(true)
    expect(await notify.webhooks.remove(off.id, iso(T0 + 3))).toBe(false)
    expect(await notify.webhooks.get(off.id)).toBeNull()
    expect(await notify.webhooks.secretOf(off.id)).toBeNull()
    expect(await notify.webhooks.update(off.id, { name: 'x' }, at)).toBeNull()
    expect((await notify.webhooks.list()).map((w) => w.id)).toEqual([hook.id])

    expect(await notify.cursor('webhooks')).toBe(0)
    const a = (await alerts.open(newAlert('s1'))).alert
    await alerts.fire(a.id, iso(T0 + 60_000), 33, 'hot')
    await alerts.resolve(a.id, iso(T0 + 120_000), 'system', null)
    const ts = (await alerts.transitionsAfter(0, 10)).filter((t) => t.notify)
    expect(ts.map((t) => t.kind)).toEqual(['fired', 'resolved'])
    for (const t of ts) await notify.enqueue(t, `g:${t.kind}`, 'flap:s1')
    await notify.enqueue(ts[0]!, 'g:again', 'flap:s1') // a replay after a crash: nothing new
    await notify.setCursor('webhooks', ts[0]!.id)
    await notify.setCursor('webhooks', ts[1]!.id)
    expect(await notify.cursor('webhooks')).toBe(ts[1]!.id)
    const queued = await notify.queued()
    expect(queued.map((q) => [q.id, q.kind, q.groupKey, q.flapKey, q.heldBy, q.notify])).toEqual([
      [ts[0]!.id, 'fired', 'g:fired', 'flap:s1', null, true], [ts[1]!.id, 'resolved', 'g:resolved', 'flap:s1', null, true]
    ])
    expect((queued[0] as AlertTransition)).toMatchObject({ alertId: a.id, stationId: 's1', district: 'futian', toState: 'firing' })
    expect(await notify.firedState(a.id)).toBe('queued')
    expect(await notify.firedState(999_999)).toBeNull()
    expect(await notify.firesSince('flap:s1', iso(T0))).toBe(1)
    expect(await notify.firesSince('flap:s1', iso(T0 + 60_000))).toBe(0)
    await notify.hold(ts[1]!.id, 'silenced')
    expect((await notify.queued()).map((q) => q.heldBy)).toEqual([null, 'silenced'])
    expect(await notify.flapNoticeSince('flap:s1', iso(T0))).toBe(false)
    await notify.decide(ts[0]!.id, 'dispatched', null, true, iso(T0 + 61_000))
    await notify.decide(ts[0]!.id, 'dropped', 'late', false, iso(T0 + 62_000)) // decided once only
    expect(await notify.firedState(a.id)).toBe('dispatched')
    expect(await notify.flapNoticeSince('flap:s1', iso(T0))).toBe(true)
    await notify.decide(ts[1]!.id, 'dropped', 'fired_not_notified', false, iso(T0 + 121_000))
    expect(await notify.queued()).toEqual([])

    const n = { webhookId: hook.id, key: `ws-alert-transition-${ts[0]!.id}`, transitionIds: [ts[0]!.id], kind: 'fired', district: 'futian', body: '{"kind":"fired"}', at: iso(T0 + 61_000) }
    await notify.addNotification(n)
    await notify.addNotification({ ...n, body: '{"kind":"changed"}' }) // the same key: the first body stays
    await notify.addNotification({ ...n, key: 'ws-alert-group-x', transitionIds: [1, 2], at: iso(T0 + 62_000) })
    await notify.addNotification({ ...n, key: 'ws-alert-group-y', at: iso(T0 + 63_000) })
    const due = await notify.due(iso(T0 + 70_000), 10)
    expect(due.map((d) => [d.idempotencyKey, d.body, d.attempts, d.state])).toEqual([
      [n.key, '{"kind":"fired"}', 0, 'pending'], ['ws-alert-group-x', '{"kind":"fired"}', 0, 'pending'], ['ws-alert-group-y', '{"kind":"fired"}', 0, 'pending']
    ])
    const [first, second, third] = due as [typeof due[0], typeof due[0], typeof due[0]]
    expect(await notify.due(iso(T0 + 70_000), 1)).toHaveLength(1)
    await notify.retry(first.id, iso(T0 + 71_000), 503, 'HTTP 503', iso(T0 + 90_000))
    await notify.sent(second.id, iso(T0 + 72_000), 200)
    await notify.giveUp(third.id, iso(T0 + 73_000), null, 'webhook deleted', false)
    expect((await notify.due(iso(T0 + 80_000), 10)).map((d) => d.id)).toEqual([])
    expect((await notify.due(iso(T0 + 90_000), 10)).map((d) => [d.id, d.attempts, d.lastStatus, d.lastError])).toEqual([[first.id, 1, 503, 'HTTP 503']])
    await notify.giveUp(first.id, iso(T0 + 95_000), 503, 'HTTP 503 (given up)', true)
    await notify.sent(first.id, iso(T0 + 96_000), 200) // given up stays given up
    expect(await notify.notification(first.id)).toMatchObject({ state: 'given_up', attempts: 2, lastStatus: 503, lastError: 'HTTP 503 (given up)', givenUpAt: iso(T0 + 95_000), nextAttemptAt: null, body: { kind: 'fired' } })
    expect(await notify.notification(second.id)).toMatchObject({ state: 'sent', attempts: 1, lastStatus: 200, lastError: null, sentAt: iso(T0 + 72_000), transitionIds: [1, 2] })
    expect(await notify.notification(third.id)).toMatchObject({ state: 'given_up', attempts: 0, lastAttemptAt: null, lastStatus: null, lastError: 'webhook deleted' })
    expect(await notify.notification(999_999)).toBeNull()
    expect(await notify.counts()).toEqual({ pending: 0, sent: 1, given_up: 2 })
    expect((await notify.listNotifications({ limit: 10 })).map((x) => x.id)).toEqual([third.id, second.id, first.id])
    expect((await notify.listNotifications({ state: 'given_up', webhook: hook.id, limit: 10 })).map((x) => x.id)).toEqual([third.id, first.id])
    expect((await notify.listNotifications({ before: third.id, limit: 1 })).map((x) => x.id)).toEqual([second.id])
  })
})

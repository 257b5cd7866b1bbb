// The parts of the live view that need no server: today's counters across DST days, the
// comfort words, the station state thresholds and the event ring's resume rules.
import { describe, expect, test } from 'vitest'
import { comfortOf } from '../api/live/comfort.ts'
import { createLiveHub } from '../api/live/live-hub.ts'
import type { StationLive } from '../api/live/schemas.ts'
import { applyEvent, newStationRec, stateOf, viewOf } from '../api/live/station-state.ts'
import { countEntry, hourOfDay, startDay } from '../api/live/today.ts'
import { addDays, localDate, localMidnightUtc } from '../platform/local-day.ts'

const HOUR = 3_600_000

describe('today', () => {
  test('counts each granted entry once, only within the local day, by local hour', () => {
    const now = Date.now()
    const day = startDay('Asia/Shanghai', now)
    expect(day.date).toBe(localDate(now, 'Asia/Shanghai'))
    const at = day.startMs + 9 * HOUR + 5
    expect(countEntry(day, 'd1', at, 7, 'w_a')).toBe(true)
    expect(countEntry(day, 'd1', at, 7, 'w_a')).toBe(false) // resent
    expect(countEntry(day, 'd2', at, 7, 'w_a')).toBe(true) // another device, same worker
    expect(countEntry(day, 'd1', at + 1, 8, undefined)).toBe(true)
    expect(countEntry(day, 'd1', day.startMs - 1, 9, 'w_b')).toBe(false) // yesterday
    expect(countEntry(day, 'd1', day.endMs, 10, 'w_b')).toBe(false) // tomorrow
    expect(day.visits).toBe(3)
    expect(day.workers.size).toBe(1)
    expect(day.byHour[9]).toBe(3)
    expect(day.byHour.reduce((a, b) => a + b, 0)).toBe(3)
  })

  test('a 23-hour and a 25-hour day fold into 24 clock hours', () => {
    // Find this year's DST days in New York relative to the test's clock (second Sunday of
    // March, first Sunday of November) by day length.
    const zone = 'America/New_York'
    const year = new Date().getUTCFullYear()
    let short: string | null = null
    let long: string | null = null
    for (let d = `${year}-01-01`; d < `${year + 1}-01-01`; d = addDays(d, 1)) {
      const len = localMidnightUtc(addDays(d, 1), zone).getTime() - localMidnightUtc(d, zone).getTime()
      if (len === 23 * HOUR) short = d
      if (len === 25 * HOUR) long = d
    }
    for (const date of [short!, long!]) {
      const day = startDay(zone, localMidnightUtc(date, zone).getTime() + 12 * HOUR)
      expect(day.date).toBe(date)
      // 05:30 local is 5.5 hours after midnight wall-clock, whatever the day's length.
      const hours = new Set<number>()
      for (let t = day.startMs; t < day.endMs; t += HOUR / 2) hours.add(hourOfDay(day, t))
      expect(hours.size).toBe(date === short ? 23 : 24)
      expect(Math.max(...hours)).toBe(23)
      expect(hourOfDay(day, day.endMs - 1)).toBe(23)
    }
  })
})

describe('station state', () => {
  test('state thresholds: offline, quiet, busy from 70 %, full at capacity', () => {
    expect(stateOf(false, 10, 10)).toBe('offline')
    expect(stateOf(true, null, 10)).toBe('quiet')
    expect(stateOf(true, 6, 10)).toBe('quiet')
    expect(stateOf(true, 7, 10)).toBe('busy')
    expect(stateOf(true, 10, 10)).toBe('full')
    expect(stateOf(true, 12, 10)).toBe('full')
  })

  test('comfort: good inside the band, fair a little out, poor clearly out, null without values', () => {
    const base = { temperature: 22, humidity: 50, co2: 600, pm25: 10 }
    expect(comfortOf(base)).toBe('good')
    expect(comfortOf({ ...base, temperature: 26 })).toBe('good') // bound included
    expect(comfortOf({ ...base, temperature: 28 })).toBe('fair')
    expect(comfortOf({ ...base, temperature: 30 })).toBe('poor')
    expect(comfortOf({ ...base, co2: 1400 })).toBe('fair')
    expect(comfortOf({ ...base, pm25: 80 })).toBe('poor')
    expect(comfortOf({ temperature: null, humidity: null, co2: 900, pm25: null })).toBe('good')
    expect(comfortOf({ temperature: null, humidity: null, co2: null, pm25: null })).toBeNull()
  })

  test('the newest reading wins; an event dated far in the future is ignored', () => {
    const now = Date.now()
    const s = newStationRec({ id: 'st', name: 'st', district: '', timezone: 'UTC', capacity: 10, lat: null, lon: null, status: 'active' }, now)
    const occ = (ts: number, count: number) => applyEvent(s, { channel: 'occupancy', payload: { device: 'd', ts, seq: ts % 1000, count } }, now)
    expect(occ(now - 1000, 4)).toBe(true)
    expect(occ(now - 5000, 1)).toBe(false)
    expect(occ(now + 3_600_000, 9)).toBe(false)
    const v = viewOf(s, now, 60_000)
    expect(v).toMatchObject({ occupancy: 4, state: 'offline', lastMessageAt: new Date(now - 1000).toISOString() })
  })
})

describe('event ring', () => {
  const view = (id: string, district = 'x') => ({ stationId: id, district } as StationLive)

  test('resumes with the events after an id, filtered; refuses ids it cannot serve', () => {
    const hub = createLiveHub({ ringSize: 4 })
    const start = hub.currentId()
    const ids = ['a', 'b', 'a'].map((s) => hub.publish(view(s)).id)
    const all = () => true
    expect(hub.since(start, all)!.map((e) => e.id)).toEqual(ids)
    expect(hub.since(ids[0]!, (id) => id === 'a')!.map((e) => e.id)).toEqual([ids[2]])
    expect(hub.since(ids[2]!, all)).toEqual([])
    expect(hub.since(`${hub.epoch}-99`, all)).toBeNull() // from the future
    expect(hub.since(`other-1`, all)).toBeNull() // another process
    expect(hub.since('nonsense', all)).toBeNull()
    // Two more events: the ring (4) no longer holds everything after `start`.
    hub.publish(view('c'))
    hub.publish(view('d'))
    expect(hub.since(start, all)).toBeNull()
    expect(hub.since(ids[0]!, all)!.length).toBe(4)
  })
})

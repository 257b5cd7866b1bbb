// Local calendar days in IANA zones, computed with Intl only: the part of the visits query
// that decides which UTC instants bound a station's day.
import { describe, expect, it } from 'vitest'
import { addDays, daysBetween, isCalendarDate, localDate, localMidnightUtc } from '../platform/local-day.ts'

const iso = (d: Date) => d.toISOString()

describe('localMidnightUtc', () => {
  it('is fixed-offset in Asia/Shanghai', () => {
    expect(iso(localMidnightUtc('2026-05-01', 'Asia/Shanghai'))).toBe('2026-04-30T16:00:00.000Z')
    expect(iso(localMidnightUtc('2026-01-01', 'UTC'))).toBe('2026-01-01T00:00:00.000Z')
  })

  it('follows DST in Europe/Berlin (23 h and 25 h days)', () => {
    const span = (d: string) => (localMidnightUtc(addDays(d, 1), 'Europe/Berlin').getTime() - localMidnightUtc(d, 'Europe/Berlin').getTime()) / 3_600_000
    expect(iso(localMidnightUtc('2026-03-29', 'Europe/Berlin'))).toBe('2026-03-28T23:00:00.000Z')
    expect(iso(localMidnightUtc('2026-03-30', 'Europe/Berlin'))).toBe('2026-03-29T22:00:00.000Z')
    expect(span('2026-03-29')).toBe(23)
    expect(span('2026-10-25')).toBe(25)
    expect(span('2026-06-01')).toBe(24)
  })

  it('starts a day without a midnight at its first instant (America/Santiago)', () => {
    // Clocks jump from 24:00 on 09-05 to 01:00 on 09-06; InfluxDB's bucket starts there too.
    expect(iso(localMidnightUtc('2026-09-06', 'America/Santiago'))).toBe('2026-09-06T04:00:00.000Z')
  })

  it('takes the first of two midnights (America/Havana, fall back at 01:00 to 00:00)', () => {
    expect(iso(localMidnightUtc('2026-11-01', 'America/Havana'))).toBe('2026-11-01T04:00:00.000Z')
  })

  it('works east of +12 and west of -10', () => {
    expect(iso(localMidnightUtc('2026-05-01', 'Pacific/Kiritimati'))).toBe('2026-04-30T10:00:00.000Z')
    expect(iso(localMidnightUtc('2026-05-01', 'Pacific/Pago_Pago'))).toBe('2026-05-01T11:00:00.000Z')
  })

  it('refuses impossible dates and unknown zones', () => {
    expect(() => localMidnightUtc('2026-02-30', 'UTC')).toThrow(RangeError)
    expect(() => localMidnightUtc('2026-05-01', 'Mars/Olympus')).toThrow(RangeError)
  })
})

describe('calendar helpers', () => {
  it('adds days across months, leap years and years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29')
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01')
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31')
    expect(daysBetween('2025-01-01', '2026-01-01')).toBe(365)
    expect(daysBetween('2026-01-02', '2026-01-01')).toBe(-1)
  })

  it('validates calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true)
    for (const bad of ['2026-02-29', '2026-13-01', '2026-00-10', '2026-1-1', '20260101', '2026-01-01T00:00:00Z']) expect(isCalendarDate(bad), bad).toBe(false)
  })

  it('reads the local date of an instant', () => {
    expect(localDate(new Date('2026-05-01T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-05-01')
    expect(localDate(new Date('2026-05-01T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-05-02')
  })
})

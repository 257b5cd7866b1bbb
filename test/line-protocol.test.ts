import { describe, expect, test } from 'vitest'
import { eventTimestampNs, formatLine, seqHigh } from '../ingest/line-protocol.ts'
import { eventToLine } from '../ingest/to-line.ts'

describe('line protocol', () => {
  test('escapes measurement, tags and string fields', () => {
    expect(formatLine('m x', { 'a=b': 'c d,e' }, { s: 'say "hi"\\\nnext', n: 1.5, i: { int: 7 }, b: true }, '1'))
      .toBe('m\\ x,a\\=b=c\\ d\\,e s="say \\"hi\\"\\\\\\nnext",n=1.5,i=7i,b=true 1')
  })

  test('sorts tags, skips empty tags and undefined fields, refuses NaN and empty points', () => {
    expect(formatLine('m', { z: '1', a: '2', e: '' }, { v: 1, u: undefined }, '5')).toBe('m,a=2,z=1 v=1 5')
    expect(() => formatLine('m', {}, { v: Number.NaN }, '1')).toThrow(RangeError)
    expect(() => formatLine('m', {}, { v: undefined }, '1')).toThrow(/no fields/)
  })

  test('event timestamps put seq mod 10^6 in the sub-millisecond digits, and seqhi tags the rest', () => {
    expect(eventTimestampNs(1_772_424_000_123, 42)).toBe('1772424000123000042')
    expect(eventTimestampNs(1_772_424_000_123, 1_000_042)).toBe('1772424000123000042')
    expect([0, 999_999, 1_000_000, 1_000_042, 4_294_967_295].map(seqHigh)).toEqual(['', '', '1', '1', '4294'])
  })

  test('seq 7 and seq 1,000,007 at one ts are two points: same timestamp, different series', () => {
    const door = (seq: number) => eventToLine('sz-1', { channel: 'door', payload: { device: 'd-1', ts: 1_772_424_000_000, seq, direction: 'in', method: 'face', result: 'granted' } })
    expect(door(7)).toBe('door,device=d-1,direction=in,method=face,result=granted,station=sz-1 seq=7i 1772424000000000007')
    expect(door(1_000_007)).toBe('door,device=d-1,direction=in,method=face,result=granted,seqhi=1,station=sz-1 seq=1000007i 1772424000000000007')
  })

  test('door events map worker to a field and filters to tags', () => {
    const line = eventToLine('sz-1', { channel: 'door', payload: { device: 'd-1', ts: 1_772_424_000_000, seq: 3, direction: 'in', method: 'face', result: 'granted', worker: 'w_00000000000000ab' } })
    expect(line).toBe('door,device=d-1,direction=in,method=face,result=granted,station=sz-1 seq=3i,worker="w_00000000000000ab" 1772424000000000003')
  })
})

import { describe, expect, test } from 'vitest'
import { openRegistry } from '../registry/open-registry.ts'

describe('registry', () => {
  test('stations: add, list, get, defaults, validation and conflicts', () => {
    const r = openRegistry(':memory:')
    const s = r.addStation({ id: 'sz-futian-001', name: '福田区爱心驿站', capacity: 12 })
    expect(s).toMatchObject({ id: 'sz-futian-001', timezone: 'Asia/Shanghai', capacity: 12, lat: null })
    expect(r.getStation('sz-futian-001')).toEqual(s)
    expect(r.getStation("'; DROP TABLE stations; --")).toBeNull()
    expect(() => r.addStation({ id: 'sz-futian-001', name: 'again' })).toThrow(/already exists/)
    expect(() => r.addStation({ id: 'Bad Id', name: 'x' })).toThrow(/station id/)
    expect(() => r.addStation({ id: 'x-1', name: 'x', timezone: 'Mars/Olympus' })).toThrow(/timezone/)
    expect(() => r.addStation({ id: 'x-2', name: 'x', timezone: "UTC') --" })).toThrow(/timezone/)
    r.addStation({ id: 'ber-1', name: 'Berlin', timezone: 'Europe/Berlin' })
    expect(r.listStations().map((x) => x.id)).toEqual(['ber-1', 'sz-futian-001'])
    r.close()
  })

  test('device secrets are hashed, verified and bound to their station', async () => {
    const r = openRegistry(':memory:')
    r.addStation({ id: 'sz-1', name: 'one' })
    const { device, secret } = await r.addDevice('sz-1', 'sz-1-door')
    expect(device).toMatchObject({ id: 'sz-1-door', stationId: 'sz-1', revokedAt: null })
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const ok = await r.authenticateDevice('sz-1-door', secret)
    expect(ok).toMatchObject({ deviceId: 'sz-1-door', stationId: 'sz-1' })
    expect(ok!.secretHash).toMatch(/^scrypt\$/)
    expect(ok!.secretHash).not.toContain(secret)
    expect(await r.authenticateDevice('sz-1-door', `${secret}x`)).toBeNull()
    expect(await r.authenticateDevice('nope', secret)).toBeNull()
    await expect(r.addDevice('sz-1', 'sz-1-door')).rejects.toThrow(/already exists/)
    await expect(r.addDevice('sz-404', 'd-1')).rejects.toThrow(/does not exist/)
    expect(r.deviceIfHashMatches('sz-1-door', ok!.secretHash)).toMatchObject({ stationId: 'sz-1' })
    expect(r.deviceIfHashMatches('sz-1-door', 'scrypt$other')).toBeNull()
    r.close()
  })
})

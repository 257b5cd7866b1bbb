// The broker's login check costs the same hash work whoever asks: an unknown, revoked or
// suspended id is checked against a dummy hash of the same kind, so the time to the CONNACK
// does not tell which device or service ids exist. Proved by counting the hash checks (and
// the scheme of the hash each one was given), not by timing.
import type { Client } from 'aedes'
import { afterAll, describe, expect, it } from 'vitest'
import { createAuthenticate } from '../broker/authenticate.ts'
import { createSessions } from '../broker/sessions.ts'
import { createSourceLimits } from '../broker/source-limits.ts'
import { createLogger } from '../platform/logger.ts'
import { hashScheme } from '../registry/secrets.ts'
import { openTestRegistry } from './support/test-registry.ts'

const registry = await openTestRegistry()
afterAll(() => registry.close())

const checks: string[] = [] // the stored hash each check ran against
const authenticate = createAuthenticate({
  registry,
  sessions: createSessions(),
  // Generous: this test is about hashing, not lockouts.
  limits: createSourceLimits({ maxFailures: 1000, failureWindowMs: 60_000, lockoutMs: 60_000, connectsPerWindow: 1000, connectWindowMs: 60_000 }),
  logger: createLogger('silent'),
  verify: (secret, stored) => { checks.push(stored); return registry.secrets.verify(secret, stored) }
})

let n = 0
function login (username: string, password: string): Promise<boolean> {
  const client = { id: `${username}:t${++n}`, conn: { remoteAddress: '127.0.0.9' } } as unknown as Client
  return new Promise((resolve) => authenticate(client, username, Buffer.from(password), (_err, ok) => resolve(ok === true)))
}
/** What a stored hash costs to check: its scheme (v2 and key id, or scrypt and N, r, p). */
const cost = hashScheme

describe('broker login timing', () => {
  it('runs exactly one hash check of the same kind for known and unknown ids alike', async () => {
    await registry.addStation({ id: 'tm-1', name: 'one' })
    await registry.addStation({ id: 'tm-2', name: 'two' })
    const door = await registry.addDevice('tm-1', 'tm-1-door', 'door')
    const revoked = await registry.addDevice('tm-1', 'tm-1-hub', 'hub')
    await registry.devices.revoke('tm-1-hub')
    const suspended = await registry.addDevice('tm-2', 'tm-2-door', 'door')
    await registry.stations.update('tm-2', { status: 'suspended' })
    const service = await registry.services.add({ id: 'tm-board', name: 'Board', scope: { kind: 'all' } })

    const cases: Array<[string, string, boolean]> = [
      ['tm-1-door', door.secret, true],
      ['tm-1-door', 'wrong-secret', false],
      ['tm-board', service.secret, true],
      ['tm-board', 'wrong-secret', false],
      ['tm-unknown-door', door.secret, false], // no such device or service
      ['tm-1-hub', revoked.secret, false], // revoked
      ['tm-2-door', suspended.secret, false], // station suspended
      ['Not An Id!', 'x', false] // not even a valid id
    ]
    const realCost = cost((await registry.authenticatePrincipal('tm-1-door', door.secret))!.secretHash)
    checks.length = 0
    for (const [user, secret, ok] of cases) {
      const before = checks.length
      expect(await login(user, secret), user).toBe(ok)
      expect(checks.length - before, `${user}: hash checks`).toBe(1)
      expect(cost(checks.at(-1)!), user).toBe(realCost)
    }
    // The unknown ids were checked against the dummy hash, not against someone's credential.
    expect(new Set(checks.slice(4)).size).toBe(1)
  })
})

// Why the dashboard says a session ended (web/src/composables/useSession.ts), from what a
// refused request tells it. A sign-out in another tab clears the shared cookie, so this tab's
// next request carries none and the API cannot name a reason: before the fix the tab said
// "session expired" although the session had hours to run. The words in both languages are
// checked in the browser (test/dashboard-map-tiles.test.ts).
import { describe, expect, test } from 'vitest'
import { createSession, createSessionState, reasonOfLoss } from '../web/src/composables/useSession.ts'
import type { Api } from '../web/src/api/client.ts'

const now = Date.now()
const inAnHour = new Date(now + 3_600_000).toISOString()
const anHourAgo = new Date(now - 3_600_000).toISOString()

describe('reasonOfLoss', () => {
  test('no cookie sent while the session had time left: signed out in another tab', () => {
    expect(reasonOfLoss(null, { expiresAt: inAnHour }, now)).toBe('signed_out_elsewhere')
    expect(reasonOfLoss(null, { expiresAt: null }, now)).toBe('signed_out_elsewhere')
  })
  test('no cookie sent after the expiry this tab knew of: expired', () => {
    expect(reasonOfLoss(null, { expiresAt: anHourAgo }, now)).toBe('session_expired')
    expect(reasonOfLoss(null, null, now)).toBe('session_expired')
  })
  test("the API's own reasons are kept; its signed_out came from another tab", () => {
    expect(reasonOfLoss('token_revoked', { expiresAt: inAnHour }, now)).toBe('token_revoked')
    expect(reasonOfLoss('session_expired', { expiresAt: inAnHour }, now)).toBe('session_expired')
    expect(reasonOfLoss('no_session', { expiresAt: inAnHour }, now)).toBe('no_session')
    expect(reasonOfLoss('signed_out', { expiresAt: inAnHour }, now)).toBe('signed_out_elsewhere')
  })
})

test('the session store: a 401 without a reason mid-session reads as signed out elsewhere', () => {
  const state = createSessionState()
  const session = createSession(state, {} as Api)
  state.session = { name: 'ops', role: 'viewer', scope: { kind: 'all' }, expiresAt: inAnHour, csrfToken: 'x' }
  session.lost(null)
  expect(state.session).toBeNull()
  expect(state.reason).toBe('signed_out_elsewhere')
})

// The signed-in user: who they are (name, role, scope), the CSRF token for writes, and why
// they were signed out. One store per app, provided in main.ts; every 401 of any request
// lands in `lost`, which sends the user back to sign-in with the reason in words.
import { computed, inject, reactive, type InjectionKey } from 'vue'
import { ApiError } from '../api/http.ts'
import type { Api } from '../api/client.ts'
import type { Session, SignedOutReason } from '../api/types.ts'

export type SessionState = {
  session: Session | null
  /** Why there is no session (shown on the sign-in view); null when signed in or unknown. */
  reason: SignedOutReason | null
  /** The first GET /session is under way. */
  checking: boolean
}

const REASONS: SignedOutReason[] = ['session_expired', 'token_revoked', 'signed_out', 'signed_out_elsewhere', 'no_session', 'bad_token']
const reasonOf = (r: string | null): SignedOutReason => (REASONS.includes(r as SignedOutReason) ? r as SignedOutReason : 'session_expired')

/**
 * Why a request of this tab was refused (401). The API names the reason when the cookie came
 * with the request: `signed_out` then means another tab (this one would not be asking). With
 * no cookie it cannot say; the cookie lives until the session's expiry, which only grows as
 * the session slides, so a cookie gone before the expiry this tab last heard of was cleared
 * by a sign-out in another tab or window of this browser.
 */
export function reasonOfLoss (reason: string | null, held: Pick<Session, 'expiresAt'> | null, now = Date.now()): SignedOutReason {
  if (reason === 'signed_out') return 'signed_out_elsewhere'
  if (reason !== null) return reasonOf(reason)
  if (held && (held.expiresAt === null || Date.parse(held.expiresAt) > now)) return 'signed_out_elsewhere'
  return 'session_expired'
}

export function createSessionState (): SessionState {
  return reactive({ session: null, reason: null, checking: true })
}

export function createSession (state: SessionState, api: Api) {
  return {
    state,
    role: computed(() => state.session?.role ?? null),
    isAdmin: computed(() => state.session?.role === 'admin'),
    async restore (): Promise<void> {
      state.checking = true
      try {
        state.session = await api.session.current()
        state.reason = null
      } catch (err) {
        state.session = null
        state.reason = err instanceof ApiError && err.status === 401 ? reasonOf(err.reason ?? 'no_session') : null
        if (!(err instanceof ApiError) || err.status !== 401) throw err
      } finally {
        state.checking = false
      }
    },
    async signIn (token: string): Promise<void> {
      state.session = await api.session.signIn(token.trim())
      state.reason = null
    },
    async signOut (): Promise<void> {
      try { await api.session.signOut() } finally {
        state.session = null
        state.reason = 'signed_out'
      }
    },
    /** A request answered 401: the session is gone. */
    lost (reason: string | null): void {
      state.reason = reasonOfLoss(reason, state.session)
      state.session = null
    }
  }
}

export type SessionStore = ReturnType<typeof createSession>
export const SESSION_KEY: InjectionKey<SessionStore> = Symbol('session')

export function useSession (): SessionStore {
  const s = inject(SESSION_KEY)
  if (!s) throw new Error('useSession() outside the app')
  return s
}

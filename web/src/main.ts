// Wires one app instance: router, i18n, API client and session, all provided to the
// components (no module-level singletons), then checks for an existing session cookie.
import { createApp } from 'vue'
import App from './App.vue'
import { API_KEY, createApi } from './api/client.ts'
import { createHttp } from './api/http.ts'
import { createSession, createSessionState, SESSION_KEY } from './composables/useSession.ts'
import { createAppI18n } from './i18n/index.ts'
import { createRouter, ROUTER_KEY } from './router.ts'
import './styles.css'

const router = createRouter()
const state = createSessionState()
const http = createHttp({
  csrfToken: () => state.session?.csrfToken ?? null,
  onUnauthorized: (reason) => {
    session.lost(reason)
    if (router.route.value.name !== 'sign-in') router.go(`/sign-in?next=${encodeURIComponent(router.route.value.path)}`)
  }
})
const api = createApi(http)
const session = createSession(state, api)

const app = createApp(App)
app.use(createAppI18n())
app.provide(ROUTER_KEY, router)
app.provide(API_KEY, api)
app.provide(SESSION_KEY, session)
app.mount('#app')

session.restore().catch(() => { /* the API is unreachable: App shows the sign-in view with the error */ })

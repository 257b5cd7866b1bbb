// A small hash router: the app lives at / and views are #/…, so the API only has to serve
// index.html at / and deep links work without a server-side fallback. Provided to the
// components through provide/inject (useRouter), one instance per app.
import { inject, shallowRef, type Component, type InjectionKey, type ShallowRef } from 'vue'

export type RouteName = 'fleet' | 'sign-in' | 'station' | 'wall' | 'fleet-analytics' | 'admin' | 'not-found'
  | 'alerts' | 'alerts-settings' // alert views (issue 13)
  | 'restock' // supplies (issue 14)

export type Route = {
  name: RouteName
  params: Record<string, string>
  query: URLSearchParams
  path: string
}

const ROUTES: Array<[RouteName, RegExp, string[]]> = [
  ['fleet', /^\/$/, []],
  ['sign-in', /^\/sign-in$/, []],
  ['station', /^\/stations\/([^/]+)$/, ['id']],
  ['wall', /^\/wall\/([^/]+)$/, ['id']],
  ['fleet-analytics', /^\/fleet-analytics$/, []],
  ['admin', /^\/admin(?:\/([a-z-]+))?$/, ['tab']],
  // Alert views (issue 13)
  ['alerts', /^\/alerts$/, []],
  ['alerts-settings', /^\/alerts\/settings$/, []],
  // Supplies (issue 14).
  ['restock', /^\/restock$/, []]
]

type ViewModule = { default: Component }
// With the ECharts charts the fleet view does not need (bars, lines, heatmaps), registered
// before the view mounts.
const withCharts = async (view: Promise<ViewModule>): Promise<ViewModule> => (await Promise.all([view, import('./components/echarts-charts.ts')]))[0]

// The views other than fleet (where everyone lands), sign-in and not-found, each a chunk of
// its own that is downloaded when its route is first shown: the fleet view does not load
// the wall, station, analytics, admin, alerts or restock code (App.vue).
export const LAZY_VIEWS: Partial<Record<RouteName, () => Promise<ViewModule>>> = {
  wall: () => withCharts(import('./views/WallView.vue')),
  station: () => withCharts(import('./views/StationView.vue')),
  'fleet-analytics': () => withCharts(import('./views/FleetAnalyticsView.vue')),
  admin: () => withCharts(import('./views/AdminView.vue')),
  alerts: () => withCharts(import('./views/AlertsView.vue')),
  'alerts-settings': () => withCharts(import('./views/AlertsSettingsView.vue')),
  restock: () => withCharts(import('./views/RestockView.vue'))
}

export function parseHash (hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/'
  const [path = '/', search = ''] = raw.split('?')
  const query = new URLSearchParams(search)
  for (const [name, re, keys] of ROUTES) {
    const m = re.exec(path)
    if (!m) continue
    const params: Record<string, string> = {}
    keys.forEach((k, i) => { const v = m[i + 1]; if (v !== undefined) params[k] = decodeURIComponent(v) })
    return { name, params, query, path }
  }
  return { name: 'not-found', params: {}, query, path }
}

export type Router = {
  route: ShallowRef<Route>
  /** Navigate to an app path such as /stations/sz-001 (adds a history entry). */
  go: (path: string) => void
  /** Replace the current entry (no new history entry). */
  replace: (path: string) => void
  href: (path: string) => string
  stop: () => void
}

export function createRouter (win: Window = window): Router {
  const route = shallowRef(parseHash(win.location.hash))
  const onChange = () => { route.value = parseHash(win.location.hash) }
  win.addEventListener('hashchange', onChange)
  return {
    route,
    go: (path) => { win.location.hash = path },
    replace: (path) => { win.history.replaceState(null, '', `#${path}`); onChange() },
    href: (path) => `#${path}`,
    stop: () => win.removeEventListener('hashchange', onChange)
  }
}

export const ROUTER_KEY: InjectionKey<Router> = Symbol('router')

export function useRouter (): Router {
  const r = inject(ROUTER_KEY)
  if (!r) throw new Error('useRouter() outside the app')
  return r
}

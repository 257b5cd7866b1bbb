// Typed functions per API route. Built on one Http (api/http.ts) per app instance and handed
// to components through provide/inject (see useApi), never as a module-level singleton.
import { inject, type InjectionKey } from 'vue'
import { alertsApi } from './alerts.ts'
import { withQuery, type Http, type Query } from './http.ts'
import type {
  ApiToken, AuditEntry, Comfort, Completeness, Device, Dwell, FleetLive, FleetLiveColumns, FleetLiveSummary, FleetSummary, Occupancy, PeakHours,
  Range, Role, Service, Session, Station, StationLive, StationScope, Usage,
  NewRestock, Restock, RestockPlan, CatalogItem, CatalogItemInput, Delivery, NewDelivery
} from './types.ts'

const enc = encodeURIComponent

export type ImportResult = { imported: number, stations: string[] }
export type NewStationInput = Partial<Omit<Station, 'status' | 'createdAt' | 'updatedAt'>> & { id: string, name: string }
export type StationPatchInput = Partial<Omit<Station, 'id' | 'createdAt' | 'updatedAt'>>

export function createApi (http: Http) {
  const station = (id: string) => `/stations/${enc(id)}`
  return {
    session: {
      signIn: (token: string) => http.post<Session>('/session', { body: { token } }),
      current: () => http.get<Session>('/session'),
      signOut: () => http.del<void>('/session')
    },
    live: {
      fleet: () => http.get<FleetLive>('/live'),
      /** What the fleet view draws of each station (less than /live), and the stream position. */
      summary: () => http.get<FleetLiveSummary>('/live/summary'),
      /** The same as columns (one array per field): what the fleet view loads. An API older than the columns answers rows. */
      summaryColumns: () => http.get<FleetLiveColumns | FleetLiveSummary>('/live/summary', { query: { format: 'columns' } }),
      station: (id: string) => http.get<StationLive>(`${station(id)}/live`)
    },
    stations: {
      list: () => http.get<{ stations: Station[] }>('/stations'),
      get: (id: string) => http.get<Station>(station(id))
    },
    figures: {
      usage: (id: string, r: Range & { granularity?: 'day' | 'week' | 'month' }) => http.get<Usage>(`${station(id)}/usage`, { query: r }),
      occupancy: (id: string, r: Range & { interval?: 'hour' | 'day' }) => http.get<Occupancy>(`${station(id)}/occupancy`, { query: r }),
      peakHours: (id: string, r: Range) => http.get<PeakHours>(`${station(id)}/peak-hours`, { query: r }),
      dwell: (id: string, r: Range) => http.get<Dwell>(`${station(id)}/dwell`, { query: r }),
      comfort: (id: string, r: Range & { interval?: 'hour' | 'day' }) => http.get<Comfort>(`${station(id)}/comfort`, { query: r }),
      completeness: (id: string, r: Range) => http.get<Completeness>(`${station(id)}/completeness`, { query: r }),
      fleet: (r: Range & { sort?: string, district?: string }) => http.get<FleetSummary>('/fleet/summary', { query: r as Query })
    },
    reports: {
      stationUrl: (id: string, month: string, format: 'csv' | 'xlsx', lang: string) => `${station(id)}/reports/${enc(month)}?format=${format}&lang=${enc(lang)}`,
      fleetUrl: (month: string, format: 'csv' | 'xlsx', lang: string) => `/fleet/reports/${enc(month)}?format=${format}&lang=${enc(lang)}`
    },
    // Alerts (issue 13): api/alerts.ts.
    alerts: alertsApi(http),
    supplies: {
      plan: (q: { depot: string, district?: string, horizon?: string, capacity?: number }) => http.get<RestockPlan>('/restock-plan', { query: q }),
      planUrl: (q: { depot: string, district?: string, horizon?: string, capacity?: number }, format: 'csv' | 'html', lang: 'zh' | 'en') =>
        withQuery('/restock-plan', { ...q, format, lang }),
      restocks: (id: string, r: Range) => http.get<{ stationId: string, restocks: Restock[] }>(`${station(id)}/supplies/restocks`, { query: r }),
      logRestock: (id: string, r: NewRestock) => http.post<Restock>(`${station(id)}/supplies/restocks`, { body: r }),
      // The catalog (admin writes; docs/supplies.md).
      catalog: (id: string) => http.get<{ stationId: string, items: CatalogItem[], deliveries: Delivery[] }>(`${station(id)}/supplies/catalog`),
      setItem: (id: string, item: string, body: CatalogItemInput) => http.post<CatalogItem>(`${station(id)}/supplies/items/${enc(item)}`, { body }),
      setDistrictItem: (district: string, item: string, body: CatalogItemInput) => http.post<CatalogItem[]>(`/supplies/districts/${enc(district)}/items/${enc(item)}`, { body }),
      removeItem: (id: string, item: string) => http.del<CatalogItem>(`${station(id)}/supplies/items/${enc(item)}`),
      addDelivery: (id: string, body: NewDelivery) => http.post<Delivery>(`${station(id)}/supplies/deliveries`, { body }),
      removeDelivery: (id: string, deliveryId: number) => http.del<Delivery>(`${station(id)}/supplies/deliveries/${deliveryId}`)
    },
    admin: {
      createStation: (s: NewStationInput) => http.post<Station>('/stations', { body: s }),
      patchStation: (id: string, p: StationPatchInput) => http.patch<Station>(station(id), { body: p }),
      importStations: (csv: string) => http.post<ImportResult>('/stations/import', { text: csv }),
      devices: (id: string) => http.get<{ devices: Device[] }>(`${station(id)}/devices`),
      addDevice: (id: string, d: { id: string, kind: Device['kind'] }) => http.post<{ device: Device, secret: string }>(`${station(id)}/devices`, { body: d }),
      rotateDevice: (id: string) => http.post<{ device: Device, secret: string }>(`/devices/${enc(id)}/rotate`),
      revokeDevice: (id: string) => http.post<Device>(`/devices/${enc(id)}/revoke`),
      services: () => http.get<{ services: Service[] }>('/services'),
      addService: (s: { id: string, name: string, scope: StationScope, permission: Service['permission'] }) => http.post<{ service: Service, secret: string }>('/services', { body: s }),
      rotateService: (id: string) => http.post<{ service: Service, secret: string }>(`/services/${enc(id)}/rotate`),
      revokeService: (id: string) => http.post<Service>(`/services/${enc(id)}/revoke`),
      tokens: () => http.get<{ tokens: ApiToken[] }>('/tokens'),
      addToken: (t: { name: string, role: Role, expiresAt: string | null, scope?: StationScope }) => http.post<{ token: ApiToken, secret: string }>('/tokens', { body: t }),
      revokeToken: (id: string) => http.post<ApiToken>(`/tokens/${enc(id)}/revoke`),
      audit: (q: { before?: number, target?: string, limit?: number }) => http.get<{ entries: AuditEntry[], nextBefore: number | null }>('/audit', { query: q })
    }
  }
}

export type Api = ReturnType<typeof createApi>
export const API_KEY: InjectionKey<Api> = Symbol('api')

export function useApi (): Api {
  const api = inject(API_KEY)
  if (!api) throw new Error('useApi() outside the app: provide API_KEY in main.ts')
  return api
}

// Every station's live state (the ones in the user's scope): GET /live, then the SSE
// stream's `snapshot` (whole fleet) and `station` (one station) events. Stations are kept
// in a Map and exposed as a shallow array that is rebuilt at most once per `throttleMs`, so
// a fleet of 10,000 stations with constant updates does not re-render on every event.
import { computed, onScopeDispose, ref, shallowRef, type Ref } from 'vue'
import { useApi } from '../api/client.ts'
import type { FleetLive, StationLive } from '../api/types.ts'
import { useEventStream } from './useEventStream.ts'

export function useLiveFleet (district: Ref<string | null> = ref(null), throttleMs = 1000) {
  const api = useApi()
  const byId = new Map<string, StationLive>()
  const stations = shallowRef<StationLive[]>([])
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const updatedAt = ref<Date | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined

  const publish = () => {
    timer = undefined
    stations.value = [...byId.values()]
    updatedAt.value = new Date()
  }
  const schedule = () => { if (!timer) timer = setTimeout(publish, throttleMs) }

  const replaceAll = (f: FleetLive) => {
    byId.clear()
    for (const s of f.stations) byId.set(s.stationId, s)
    clearTimeout(timer)
    publish()
    loaded.value = true
    error.value = null
  }
  const upsert = (s: StationLive) => {
    byId.set(s.stationId, s)
    schedule()
  }

  async function load () {
    try { replaceAll(await api.live.fleet()) } catch (err) {
      if (!loaded.value) error.value = (err as Error).message
    }
  }
  void load()

  const url = computed(() => (district.value ? `/live/stream?district=${encodeURIComponent(district.value)}` : '/live/stream'))
  const { state } = useEventStream(url, {
    snapshot: (data) => replaceAll(data as FleetLive),
    station: (data) => upsert(data as StationLive)
  // A closed stream may be an ended session: the reload answers 401, which signs out
  // (http.ts). Not GET /session: its 401 is the sign-in view's own and signs no one out.
  }, { onClosed: load })

  onScopeDispose(() => clearTimeout(timer))
  return { stations, loaded, error, updatedAt, connection: state, reload: load }
}

// Every station's live state as the fleet view draws it (StationLiveSummary, the stations in
// the user's scope): GET /live/summary, then /live/stream?view=summary resumed from the
// position that answer stands for, so the stream sends only the changes since (no second
// copy of the whole fleet as a `snapshot`). Stations are kept in a Map and exposed as a
// shallow array that is rebuilt at most once per `throttleMs`, so a fleet of 10,000 stations
// with constant updates does not re-render on every event.
import { computed, onScopeDispose, ref, shallowRef, type Ref } from 'vue'
import { useApi } from '../api/client.ts'
import type { StationLiveSummary } from '../api/types.ts'
import { useEventStream } from './useEventStream.ts'

type Fleet = { stations: StationLiveSummary[] }

export function useLiveFleet (district: Ref<string | null> = ref(null), throttleMs = 1000) {
  const api = useApi()
  const byId = new Map<string, StationLiveSummary>()
  const stations = shallowRef<StationLiveSummary[]>([])
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const updatedAt = ref<Date | null>(null)
  // Where the stream starts: null before the first load; '' (a snapshot) when it failed.
  const from = ref<string | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined

  const publish = () => {
    timer = undefined
    stations.value = [...byId.values()]
    updatedAt.value = new Date()
  }
  const schedule = () => { if (!timer) timer = setTimeout(publish, throttleMs) }

  const replaceAll = (f: Fleet) => {
    byId.clear()
    for (const s of f.stations) byId.set(s.stationId, s)
    clearTimeout(timer)
    publish()
    loaded.value = true
    error.value = null
  }
  const upsert = (s: StationLiveSummary) => {
    // A resumed stream may repeat a change the summary already had: keep the newest.
    const had = byId.get(s.stationId)
    if (had && had.version > s.version) return
    // A station retired is sent once with that status, then no more.
    if (s.status === 'retired') byId.delete(s.stationId)
    else byId.set(s.stationId, s)
    schedule()
  }

  async function load () {
    try {
      const f = await api.live.summary()
      replaceAll(f)
      from.value = f.eventId
    } catch (err) {
      if (!loaded.value) error.value = (err as Error).message
      if (from.value === null) from.value = ''
    }
  }
  void load()

  const url = computed(() => {
    if (from.value === null) return null
    const q = new URLSearchParams({ view: 'summary' })
    if (district.value) q.set('district', district.value)
    if (from.value) q.set('lastEventId', from.value)
    return `/live/stream?${q}`
  })
  const { state } = useEventStream(url, {
    snapshot: (data) => replaceAll(data as Fleet),
    station: (data) => upsert(data as StationLiveSummary)
  // A closed stream may be an ended session: the reload answers 401, which signs out
  // (http.ts). Not GET /session: its 401 is the sign-in view's own and signs no one out.
  // A successful reload moves `from`, which reopens the stream from there.
  }, { onClosed: load })

  onScopeDispose(() => clearTimeout(timer))
  return { stations, loaded, error, updatedAt, connection: state, reload: load }
}

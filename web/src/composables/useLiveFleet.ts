// Every station's live state as the fleet view draws it (the stations in the user's scope):
// GET /live/summary?format=columns, then /live/stream?view=summary&format=columns resumed from
// the position that answer stands for, so the stream sends only the changes since (no second
// copy of the whole fleet as a `snapshot`; if one comes, it is in columns too). The stations
// are kept as columns (fleet-store.ts), not as one object each; `fleet` is a shallow ref to
// them, replaced at most once per `throttleMs`, so a fleet of 10,000 stations with constant
// updates does not re-render on every event.
import { computed, onScopeDispose, ref, shallowRef, type Ref } from 'vue'
import { useApi } from '../api/client.ts'
import type { FleetLiveColumns, FleetLiveSummary, StationLiveSummary } from '../api/types.ts'
import { emptyFleet, fleetFromColumns, fleetFromRows, upsertStation, type FleetStore } from './fleet-store.ts'
import { useEventStream } from './useEventStream.ts'

type Fleet = FleetLiveColumns | FleetLiveSummary
const isColumns = (f: Fleet): f is FleetLiveColumns => 'format' in f && f.format === 'columns'

/**
 * The form the fleet is loaded in: columns, unless the browser's localStorage says
 * `waystation.fleetForm` = `rows` (the row form, kept for the benchmark's comparison:
 * bench/dashboard.ts measures both).
 */
function fleetForm (): 'rows' | 'columns' {
  try { return globalThis.localStorage?.getItem('waystation.fleetForm') === 'rows' ? 'rows' : 'columns' } catch { return 'columns' }
}

export function useLiveFleet (district: Ref<string | null> = ref(null), throttleMs = 1000) {
  const api = useApi()
  const form = fleetForm()
  const fleet = shallowRef<FleetStore>(emptyFleet())
  const loaded = ref(false)
  const error = ref<string | null>(null)
  const updatedAt = ref<Date | null>(null)
  // Where the stream starts: null before the first load; '' (a snapshot) when it failed.
  const from = ref<string | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined

  const publish = () => {
    timer = undefined
    // A new object over the same columns: components that take the fleet as a prop see a change.
    fleet.value = { ...fleet.value }
    updatedAt.value = new Date()
  }
  const schedule = () => { if (!timer) timer = setTimeout(publish, throttleMs) }

  const replaceAll = (f: Fleet) => {
    fleet.value = isColumns(f) ? fleetFromColumns(f) : fleetFromRows(f)
    clearTimeout(timer)
    timer = undefined
    updatedAt.value = new Date()
    loaded.value = true
    error.value = null
  }
  const upsert = (s: StationLiveSummary) => { if (upsertStation(fleet.value, s)) schedule() }

  async function load () {
    try {
      const f = form === 'rows' ? await api.live.summary() : await api.live.summaryColumns()
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
    if (form === 'columns') q.set('format', 'columns')
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
  return { fleet, loaded, error, updatedAt, connection: state, reload: load }
}

// One station's live state: GET /stations/{id}/live once, then the SSE stream's `station`
// events. On a drop the last state stays on screen and `connection` says so.
import { computed, ref, shallowRef, watch, type Ref } from 'vue'
import { useApi } from '../api/client.ts'
import type { FleetLive, StationLive } from '../api/types.ts'
import { useEventStream } from './useEventStream.ts'

export function useLiveStation (id: Ref<string>) {
  const api = useApi()
  const station = shallowRef<StationLive | null>(null)
  const error = ref<string | null>(null)
  const updatedAt = ref<Date | null>(null)

  // The stream is ordered: its events always win. A GET can be overtaken by events, so its
  // answer is dropped when it is older than what is shown (versions restart with the server,
  // which is why stream events are not compared).
  const accept = (s: StationLive, fromStream: boolean) => {
    if (s.stationId !== id.value) return
    if (!fromStream && station.value && s.version < station.value.version) return
    station.value = s
    updatedAt.value = new Date()
    error.value = null
  }

  async function load () {
    try { accept(await api.live.station(id.value), false) } catch (err) {
      if (!station.value) error.value = (err as Error).message
    }
  }
  watch(id, () => { station.value = null; void load() }, { immediate: true })

  const url = computed(() => (id.value ? `/live/stream?station=${encodeURIComponent(id.value)}` : null))
  const { state } = useEventStream(url, {
    station: (data) => accept(data as StationLive, true),
    snapshot: (data) => {
      const s = (data as FleetLive).stations.find((x) => x.stationId === id.value)
      if (s) accept(s, true)
    }
  }, {
    // A closed stream may be an ended session: the reload answers 401, which signs out
    // (http.ts). Not GET /session: its 401 is the sign-in view's own and signs no one out.
    onClosed: load
  })

  return { station, error, updatedAt, connection: state, reload: load }
}

// Tells the inbox when the alerts may have changed, from the live stream instead of polling:
// every station's live state carries its open alerts (`alerts`, api/live/alert-summary.ts),
// so a `station` event whose `alerts` differ from the last seen, or a `snapshot` (a new or
// resumed-too-late stream: something may have been missed), calls `onChange`, debounced so
// that a burst (a district losing power) is one refetch. While the stream is down a slow
// poll stands in for it. Pending alerts are counted in `alerts.pending`, so a new pending
// alert (or one cancelled before it fired) is a change too.
import { onScopeDispose, ref, watch } from 'vue'
import type { FleetLive, StationLive } from '../../api/types.ts'
import { useEventStream } from '../../composables/useEventStream.ts'

export type AlertChangesOptions = { debounceMs?: number, fallbackPollMs?: number }

export function useAlertChanges (onChange: () => void, opts: AlertChangesOptions = {}) {
  const debounceMs = opts.debounceMs ?? 500
  const fallbackPollMs = opts.fallbackPollMs ?? 30_000
  const keys = new Map<string, string>()
  let debounce: ReturnType<typeof setTimeout> | undefined
  let poll: ReturnType<typeof setInterval> | undefined

  const changed = () => {
    clearTimeout(debounce)
    debounce = setTimeout(onChange, debounceMs)
  }
  const seen = (s: StationLive): boolean => {
    const k = JSON.stringify(s.alerts)
    if (keys.get(s.stationId) === k) return false
    keys.set(s.stationId, k)
    return true
  }

  const { state } = useEventStream(ref('/live/stream'), {
    snapshot: (data) => {
      keys.clear()
      for (const s of (data as FleetLive).stations) seen(s)
      changed()
    },
    station: (data) => { if (seen(data as StationLive)) changed() }
  // A closed stream may be an ended session: the refetch answers 401, which signs out (http.ts).
  }, { onClosed: onChange })

  watch(state, (s) => {
    clearInterval(poll)
    poll = undefined
    if (s !== 'live') poll = setInterval(onChange, fallbackPollMs)
  }, { immediate: true })

  onScopeDispose(() => { clearTimeout(debounce); clearInterval(poll) })
  return { connection: state }
}

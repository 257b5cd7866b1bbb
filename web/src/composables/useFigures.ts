// Loads a figure endpoint whenever its inputs change, keeps the last good answer while a
// new one loads (or fails), and can refresh itself on an interval.
import { onScopeDispose, ref, shallowRef, watch, type WatchSource } from 'vue'

export function useFigures<T> (source: WatchSource<unknown>, load: () => Promise<T>, opts: { refreshMs?: number } = {}) {
  const data = shallowRef<T | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  async function run () {
    const mine = ++seq
    loading.value = true
    try {
      const result = await load()
      if (mine === seq) { data.value = result; error.value = null }
    } catch (err) {
      if (mine === seq) error.value = (err as Error).message
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  watch(source, () => { void run() }, { immediate: true, deep: true })
  if (opts.refreshMs) {
    const timer = setInterval(() => { void run() }, opts.refreshMs)
    onScopeDispose(() => clearInterval(timer))
  }
  return { data, loading, error, reload: run }
}

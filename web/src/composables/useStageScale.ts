// Scale factor that fits a fixed 1920×1080 stage into the window (数据大屏 convention: lay
// out once for a 16:9 screen, scale with a CSS transform).
import { onBeforeUnmount, ref } from 'vue'

export function useStageScale (width = 1920, height = 1080) {
  const scale = ref(1)
  const fit = () => { scale.value = Math.min(window.innerWidth / width, window.innerHeight / height) }
  fit()
  window.addEventListener('resize', fit)
  onBeforeUnmount(() => window.removeEventListener('resize', fit))
  return scale
}

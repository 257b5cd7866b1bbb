// vue-i18n in composition mode, zh-CN by default and English. The choice is remembered in
// localStorage and mirrored to <html lang>, so screen readers and fonts follow it. Messages
// are compiled by vue-i18n's JIT compiler (no `new Function`: the CSP allows no eval).
import { watch } from 'vue'
import { createI18n } from 'vue-i18n'
import en from './en.ts'
import zhCN from './zh-CN.ts'
import type { Messages } from './en.ts'

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = typeof LOCALES[number]
const STORAGE_KEY = 'waystation.lang'

function storedLocale (): Locale {
  try {
    const v = localStorage.getItem(STORAGE_KEY)
    if (v && (LOCALES as readonly string[]).includes(v)) return v as Locale
  } catch { /* storage disabled: default */ }
  return 'zh-CN'
}

export type { Messages }

export function createAppI18n () {
  const i18n = createI18n<[Messages], Locale, false>({
    legacy: false,
    locale: storedLocale(),
    fallbackLocale: 'en',
    messages: { en, 'zh-CN': zhCN }
  })
  const apply = (l: string) => {
    document.documentElement.lang = l
    try { localStorage.setItem(STORAGE_KEY, l) } catch { /* not remembered */ }
  }
  apply(i18n.global.locale.value)
  watch(i18n.global.locale, apply)
  return i18n
}

// Japanese and English. Each feature keeps its texts beside its views;
// `messages` joins them. The English texts are typed by the Japanese ones,
// so a key missing in either language fails the type check.
import { createI18n } from 'vue-i18n'
import { common } from './common.locale'
import { login } from '@/features/login/locale'
import { dashboard } from '@/features/dashboard/locale'
import { data } from '@/features/data/locale'
import { dataset } from '@/features/dataset/locale'
import { account } from '@/features/account/locale'
import { admin } from '@/features/admin/locale'
import { job } from '@/features/job/locale'
import { preprocessing } from '@/features/preprocessing/locale'
import { cluster } from '@/features/cluster/locale'

const parts = { common, login, dashboard, data, dataset, account, admin, job, preprocessing, cluster }

type Part = { ja: object; en: object }
function pick(lang: 'ja' | 'en') {
  const out: Record<string, object> = {}
  for (const [name, p] of Object.entries(parts) as [string, Part][]) out[name] = p[lang]
  return out
}

export type Lang = 'ja' | 'en'
const langKey = 'kqi.lang'

function initialLang(): Lang {
  const saved = localStorage.getItem(langKey)
  if (saved === 'ja' || saved === 'en') return saved
  return navigator.languages.some((l) => l.toLowerCase().startsWith('ja')) ? 'ja' : 'en'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLang(),
  fallbackLocale: 'en',
  messages: { ja: pick('ja'), en: pick('en') },
  datetimeFormats: {
    ja: { short: { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' } },
    en: { short: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } },
  },
})

export function setLang(l: Lang) {
  i18n.global.locale.value = l
  localStorage.setItem(langKey, l)
  document.documentElement.lang = l
}

export function currentLang(): Lang {
  return i18n.global.locale.value as Lang
}

/** Messages is the shape every language must have. */
export type Messages<T> = { [K in keyof T]: T[K] extends string ? string : Messages<T[K]> }

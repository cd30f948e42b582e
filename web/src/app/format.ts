import { i18n } from './i18n'

/** A date and time in the user's locale. */
export function formatDate(iso?: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return i18n.global.d(d, 'short')
}

/** A byte count with a binary unit. */
export function formatBytes(n?: number | null): string {
  if (n == null) return ''
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`
}

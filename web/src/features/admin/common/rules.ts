// The server's input rules (internal/identity/validate.go, internal/auth/password.go),
// checked in the forms before a request is sent. Each check returns a
// message in the current language, or null when the value is good.
import { i18n } from '@/app/i18n'

const t = (key: string, values?: Record<string, unknown>) => i18n.global.t(`admin.rules.${key}`, values ?? {})

export const maxNameLen = 128
export const maxDisplayNameLen = 256
export const minPasswordLen = 8
export const maxPasswordBytes = 256
export const minTokenDays = 1
export const maxTokenDays = 3650

const tenantNameRe = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const userNameRe = /^[a-zA-Z0-9]([-_.@a-zA-Z0-9]*[a-zA-Z0-9])?$/
const roleNameRe = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$/

function name(v: string | undefined, re: RegExp, rule: string): string | null {
  if (!v || !v.trim()) return t('required')
  if ([...v].length > maxNameLen) return t('tooLong', { n: maxNameLen })
  if (!re.test(v)) return t(rule)
  return null
}

export function tenantName(v: string | undefined): string | null {
  const m = name(v, tenantNameRe, 'tenantName')
  if (m) return m
  if (v!.startsWith('kqi-') || v!.startsWith('kube-')) return t('tenantReserved')
  if (v === 'default' || v === 'node-feature-discovery') return t('tenantReservedName')
  return null
}

export function userName(v: string | undefined): string | null {
  return name(v, userNameRe, 'userName')
}

export function roleName(v: string | undefined): string | null {
  return name(v, roleNameRe, 'roleName')
}

export function displayName(v: string | undefined, required = true): string | null {
  if (required && (!v || !v.trim())) return t('required')
  if (v && [...v].length > maxDisplayNameLen) return t('tooLong', { n: maxDisplayNameLen })
  return null
}

export function required(v: unknown): string | null {
  if (v == null || (typeof v === 'string' && !v.trim()) || (Array.isArray(v) && v.length === 0)) return t('required')
  return null
}

export function password(v: string | undefined): string | null {
  if (!v || !v.trim()) return t('required')
  if ([...v].length < minPasswordLen) return t('passwordShort', { n: minPasswordLen })
  if (new TextEncoder().encode(v).length > maxPasswordBytes) return t('passwordLong', { n: maxPasswordBytes })
  if (/^\p{Nd}+$/u.test(v)) return t('passwordDigits')
  return null
}

export function httpUrl(v: string | undefined, max = 2048): string | null {
  if (!v) return null
  if (v.length > max) return t('tooLong', { n: max })
  try {
    const u = new URL(v)
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host) return null
  } catch {
    // falls through
  }
  return t('httpUrl')
}

export function tokenDays(v: number | null | undefined): string | null {
  if (v == null || !Number.isInteger(v) || v < minTokenDays || v > maxTokenDays) return t('tokenDays', { min: minTokenDays, max: maxTokenDays })
  return null
}

import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/client'
import { i18n } from './i18n'

/** message is a readable text for any error, from the API's error body when there is one. */
export function message(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return i18n.global.t('common.networkError')
    return e.message
  }
  return e instanceof Error ? e.message : String(e)
}

/** showError shows an error as a toast. */
export function showError(e: unknown) {
  ElMessage({ type: 'error', message: message(e), showClose: true, duration: 8000 })
}

export function showSaved(text?: string) {
  ElMessage({ type: 'success', message: text ?? i18n.global.t('common.saved') })
}

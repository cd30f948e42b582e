import { ElMessage, ElMessageBox } from 'element-plus'
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

/** confirmDelete asks before deleting (or removing: give the text and button); false when the user cancels. */
export async function confirmDelete(name: string, opts: { text?: string; button?: string } = {}): Promise<boolean> {
  const t = i18n.global.t
  try {
    await ElMessageBox.confirm(opts.text ?? t('common.confirmDelete', { name }), t('common.confirm'), {
      type: 'warning',
      confirmButtonText: opts.button ?? t('common.delete'),
      cancelButtonText: t('common.cancel'),
      confirmButtonClass: 'el-button--danger',
    })
    return true
  } catch {
    return false
  }
}

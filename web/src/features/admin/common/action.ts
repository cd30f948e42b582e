// Saving, deleting and the like on the account and administration screens:
// one action at a time, with a busy flag for the button that started it and
// the API's message when it fails.
import { ref, type Ref } from 'vue'
import { i18n } from '@/app/i18n'
import { message, showError, showSaved } from '@/app/notify'
import { confirmDelete } from './load'

type Validatable = { validate: () => Promise<unknown> }

/** valid validates a form (an el-form or one exposing validate); false when it is missing or has errors. */
export async function valid(form: Ref<Validatable | undefined>): Promise<boolean> {
  return !!(await form.value?.validate().catch(() => false))
}

export type ActionOptions = {
  /** check runs after the error is cleared and before the action is busy: false stops it (a form that does not validate). */
  check?: () => boolean | Promise<boolean>
  /** success is the toast once fn is done: "Saved" unless given; false for none. */
  success?: string | false
  /** then runs after the toast (going back to the list, reloading); its failure is the action's. */
  then?: () => unknown
}

/**
 * useAction runs actions that mark busy with their kind (a name, or a row's
 * id) while they run. A failure's message goes to error, or to a toast with
 * toast: true. Give busy to share one flag between several.
 */
export function useAction<K extends string | number>(opts: { busy?: Ref<K | null>; toast?: boolean } = {}) {
  const busy = opts.busy ?? (ref(null) as Ref<K | null>)
  const error = ref('')
  async function run(kind: K, fn: () => Promise<unknown>, o: ActionOptions = {}): Promise<boolean> {
    error.value = ''
    if (o.check && !(await o.check())) return false
    busy.value = kind
    try {
      await fn()
      if (o.success !== false) showSaved(o.success)
      await o.then?.()
      return true
    } catch (e) {
      if (opts.toast) showError(e)
      else error.value = message(e)
      return false
    } finally {
      busy.value = null
    }
  }
  /**
   * runDelete asks before deleting name (see confirmDelete for text and
   * button), then runs fn as 'delete' and says "Deleted" unless told otherwise.
   */
  async function runDelete(name: string, fn: () => Promise<unknown>, o: ActionOptions & { text?: string; button?: string } = {}): Promise<boolean> {
    if (!(await confirmDelete(name, o))) return false
    return run('delete' as K, fn, { success: i18n.global.t('common.deleted'), ...o })
  }
  return { busy, error, run, runDelete }
}

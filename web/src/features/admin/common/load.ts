// Helpers shared by the account and administration screens.
import { computed, onMounted, ref, type Ref } from 'vue'
import type { FormItemRule } from 'element-plus'
import { message } from '@/app/notify'

export { confirmDelete } from '@/app/notify'

/** useLoader runs fn with a loading flag and keeps the API's message when it fails. */
export function useLoader(fn: () => Promise<void>) {
  const loading = ref(true)
  const error = ref('')
  async function load() {
    loading.value = true
    error.value = ''
    try {
      await fn()
    } catch (e) {
      error.value = message(e)
    } finally {
      loading.value = false
    }
  }
  return { loading, error, load }
}

/** rule makes an el-form rule from a check that returns a message, or nothing when the value is good. */
export function rule<V = string>(check: (v: V) => string | null | undefined, trigger: 'blur' | 'change' = 'blur'): FormItemRule {
  return {
    trigger,
    validator: (_r: unknown, v: V, cb: (e?: Error) => void) => {
      const m = check(v)
      if (m) cb(new Error(m))
      else cb()
    },
  }
}

/** filterBy keeps the rows any of whose fields contain the text (case-insensitive). */
export function matches(text: string, ...fields: (string | number | null | undefined)[]): boolean {
  const q = text.trim().toLowerCase()
  if (!q) return true
  return fields.some((f) => f != null && String(f).toLowerCase().includes(q))
}

/**
 * useList loads a list screen's rows when it opens, and keeps those that
 * the filter text matches in any of the fields given.
 */
export function useList<T>(fetch: () => Promise<T[]>, fields: (row: T) => (string | number | null | undefined)[]) {
  const rows = ref([]) as Ref<T[]>
  const filter = ref('')
  const shown = computed(() => rows.value.filter((x) => matches(filter.value, ...fields(x))))
  const { loading, error, load } = useLoader(async () => {
    rows.value = await fetch()
  })
  onMounted(load)
  return { rows, filter, shown, loading, error, load }
}

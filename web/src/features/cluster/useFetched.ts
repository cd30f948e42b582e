// A resource screen's data: read on demand (a tab opened, refresh), with
// the loading flag, the API's message and status when it fails, and when
// it was read.
import { ref, type Ref } from 'vue'
import { ApiError } from '@/api/client'
import { message } from '@/app/notify'

export function useFetched<T>(fetch: () => Promise<T>, empty: T) {
  const data = ref(empty) as Ref<T>
  const at = ref<Date | null>(null)
  const loading = ref(false)
  const error = ref('')
  /** status of the failed read (404: not there), 0 when it did not fail on the API. */
  const status = ref(0)
  async function load() {
    loading.value = true
    error.value = ''
    status.value = 0
    try {
      data.value = await fetch()
      at.value = new Date()
    } catch (e) {
      error.value = message(e)
      status.value = e instanceof ApiError ? e.status : 0
    } finally {
      loading.value = false
    }
  }
  return { data, at, loading, error, status, load }
}

// The filters, page and page size of a list screen, kept in the address so
// that back returns to the same list. A string filter is one query key
// (trimmed, left out when blank), a list filter is one comma-joined key, a
// date filter (see DateFilter) is its operator and date, left out without a date.
import { computed, reactive, ref, watch, type Ref } from 'vue'
import { useRoute, useRouter, type LocationQuery } from 'vue-router'
import { message } from '@/app/notify'

type Filters = Record<string, string | string[]>

const PER_PAGES = [10, 20, 50, 100]
const PER_PAGE = 20

function str(q: LocationQuery, k: string): string {
  const v = q[k]
  return typeof v === 'string' ? v : ''
}

/** parseDate splits a DateFilter value such as `>=2026-01-31` into its operator (>= when none) and date. */
export function parseDate(v: string): { op: string; date: string } {
  const m = /^(>=|<=|=)?(.*)$/.exec(v)
  return { op: m?.[1] || '>=', date: m?.[2] ?? '' }
}

/**
 * useListQuery keeps filters (shaped and cleared like defaults), page and
 * perPage in step with the route's query; dates names the date filters.
 */
export function useListQuery<F extends Filters>(defaults: F, dates: (keyof F & string)[] = []) {
  const route = useRoute()
  const router = useRouter()
  const fresh = () => Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as F
  const filters = reactive(fresh()) as F
  const page = ref(1)
  const perPage = ref(PER_PAGE)

  const entries = () => Object.entries(filters as Filters)
  const isDate = (k: string) => (dates as string[]).includes(k)

  /** filtered tells whether any filter is set (for the empty list's text). */
  const filtered = computed(() =>
    entries().some(([k, v]) => (Array.isArray(v) ? v.length > 0 : !!(isDate(k) ? parseDate(v).date : v))),
  )

  function fromQuery(q: LocationQuery) {
    const f = filters as Filters
    for (const [k, v] of Object.entries(defaults)) {
      const s = str(q, k)
      f[k] = Array.isArray(v) ? (s ? s.split(',') : []) : s
    }
    page.value = Math.max(1, Number(str(q, 'page')) || 1)
    const pp = Number(str(q, 'perPage'))
    perPage.value = PER_PAGES.includes(pp) ? pp : PER_PAGE
  }

  /** query is the route's query for the filters and page: only what is set. */
  function query(): Record<string, string> {
    const q: Record<string, string> = {}
    for (const [k, v] of entries()) {
      let s: string
      if (Array.isArray(v)) s = v.join(',')
      else if (isDate(k)) {
        const d = parseDate(v)
        s = d.date ? d.op + d.date : ''
      } else s = v.trim()
      if (s) q[k] = s
    }
    if (page.value > 1) q.page = String(page.value)
    if (perPage.value !== PER_PAGE) q.perPage = String(perPage.value)
    return q
  }

  function push() {
    void router.replace({ query: query() })
  }

  function search() {
    page.value = 1
    push()
  }

  function reset() {
    Object.assign(filters, fresh())
    search()
  }

  /** follow calls load now and each time the address changes, with the filters read from it. */
  function follow(load: () => unknown) {
    watch(
      () => route.query,
      (q) => {
        fromQuery(q)
        void load()
      },
      { immediate: true },
    )
  }

  return { filters, page, perPage, perPages: PER_PAGES, filtered, query, push, search, reset, follow }
}

/**
 * usePagedRows holds the page a list screen shows. load reads it with
 * fetchPage; when deletes left the page past the end it moves to the last
 * one. quiet (background refreshes) leaves the table as it is, also when
 * the read fails.
 */
export function usePagedRows<T>(
  list: { page: Ref<number>; perPage: Ref<number>; push: () => void },
  fetchPage: () => Promise<{ items: T[]; total: number }>,
) {
  const rows = ref([]) as Ref<T[]>
  const total = ref(0)
  const loading = ref(false)
  const error = ref('')
  async function load(quiet = false) {
    if (!quiet) {
      loading.value = true
      error.value = ''
    }
    try {
      const r = await fetchPage()
      rows.value = r.items
      total.value = r.total
      error.value = ''
      if (!r.items.length && r.total > 0 && list.page.value > 1) {
        list.page.value = Math.ceil(r.total / list.perPage.value)
        list.push()
      }
    } catch (e) {
      if (!quiet) {
        error.value = message(e)
        rows.value = []
      }
    } finally {
      loading.value = false
    }
  }
  return { rows, total, loading, error, load }
}

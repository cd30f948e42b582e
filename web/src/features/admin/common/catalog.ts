// The git servers and registries a tenant can be given, from the API: the
// administrator's lists on the admin screens, the tenant manager's lists
// (every endpoint, as the original) on the tenant settings screen.
import { onMounted, ref } from 'vue'
import { api, unwrap } from '@/api/client'
import { message } from '@/app/notify'

export type Known = { id: number; name: string }

/** useCatalog loads the git servers and registries; manage: through the tenant manager's endpoints. */
export function useCatalog(manage: boolean) {
  const gits = ref<Known[]>([])
  const registries = ref<Known[]>([])
  const error = ref('')
  async function load() {
    error.value = ''
    try {
      const [g, r] = manage
        ? await Promise.all([unwrap(api.GET('/api/v2/tenant/git/endpoints')), unwrap(api.GET('/api/v2/tenant/registry/endpoints'))])
        : await Promise.all([unwrap(api.GET('/api/v2/admin/git/endpoints')), unwrap(api.GET('/api/v2/admin/registry/endpoints'))])
      gits.value = g.map(({ id, name }) => ({ id, name }))
      registries.value = r.map(({ id, name }) => ({ id, name }))
    } catch (e) {
      error.value = message(e)
    }
  }
  onMounted(load)
  return { gits, registries, error, load }
}

/** withUnknown adds ids in use that the list does not have (yet), shown by number. */
export function withUnknown(known: Known[], ids: number[]): Known[] {
  const out = [...known]
  for (const id of ids) if (!out.some((k) => k.id === id)) out.push({ id, name: `#${id}` })
  return out
}

// The signed-in user's account (tenants, roles) and side menu, loaded once
// per token and shared by the layout and the screens.
import { ref, watch } from 'vue'
import { api, unwrap, type components } from '@/api/client'
import { session } from './session'
import { currentLang, i18n } from './i18n'

export type Account = components['schemas']['AccountOutput']
export type MenuItem = components['schemas']['MenuItem']

export const account = ref<Account | null>(null)
export const menu = ref<MenuItem[]>([])

export async function loadAccount() {
  account.value = await unwrap(api.GET('/api/v2/account'))
  await loadMenu()
}

export async function loadMenu() {
  menu.value = await unwrap(api.GET('/api/v2/account/menus/tree', { params: { query: { lang: currentLang() } } }))
}

watch(session.token, (t) => {
  if (!t) {
    account.value = null
    menu.value = []
  }
})
watch(i18n.global.locale, () => {
  if (session.token.value) void loadMenu()
})

/** switchTenant gets a token for another of the user's tenants. */
export async function switchTenant(tenantId: number) {
  const out = await unwrap(api.POST('/api/v2/account/tenants/{tenantId}/token', { params: { path: { tenantId } }, body: {} }))
  session.signIn(out.token)
  await loadAccount()
}

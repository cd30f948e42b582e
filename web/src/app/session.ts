// The signed-in user's token, kept in localStorage so that reloads and new
// tabs stay signed in. Tenant switches replace the token.
import { ref } from 'vue'
import { router } from './router'

const key = 'kqi.token'

const token = ref<string | null>(localStorage.getItem(key))

function set(t: string | null) {
  token.value = t
  if (t) localStorage.setItem(key, t)
  else localStorage.removeItem(key)
}

export const session = {
  token,
  signIn(t: string) {
    set(t)
  },
  signOut() {
    set(null)
    void router.push({ name: 'login' })
  },
  /** The token is no longer accepted: back to login, then back here. */
  expired() {
    set(null)
    const here = router.currentRoute.value
    if (here.name !== 'login') void router.push({ name: 'login', query: { return_url: here.fullPath, timeout: 'true' } })
  },
}

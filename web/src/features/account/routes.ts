import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  { path: 'setting', name: 'setting', component: () => import('./SettingView.vue') },
]

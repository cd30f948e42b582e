import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  { path: 'data', name: 'data', component: () => import('./DataListView.vue') },
  { path: 'data/create', name: 'data-create', component: () => import('./DataEditView.vue') },
  { path: 'data/edit/:id(\\d+)', name: 'data-edit', component: () => import('./DataEditView.vue') },
  { path: 'data/:id(\\d+)', name: 'data-detail', component: () => import('./DataDetailView.vue') },
]

import type { RouteRecordRaw } from 'vue-router'

// The side menu links /preprocessing (the original's path); /preprocess is
// kept as a short alias.
export const routes: RouteRecordRaw[] = [
  { path: 'preprocessing', name: 'preprocessing', component: () => import('./PreprocessListView.vue') },
  { path: 'preprocessing/create', name: 'preprocessing-create', component: () => import('./PreprocessEditView.vue') },
  { path: 'preprocessing/create/:id(\\d+)', name: 'preprocessing-copy', component: () => import('./PreprocessEditView.vue') },
  { path: 'preprocessing/edit/:id(\\d+)', name: 'preprocessing-edit', component: () => import('./PreprocessEditView.vue') },
  { path: 'preprocessing/:id(\\d+)', name: 'preprocessing-detail', component: () => import('./PreprocessDetailView.vue') },
  { path: 'preprocess', redirect: '/preprocessing' },
  { path: 'preprocess/:id(\\d+)', redirect: (to) => `/preprocessing/${String(to.params.id)}` },
]

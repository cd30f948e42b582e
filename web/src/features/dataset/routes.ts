import type { RouteRecordRaw } from 'vue-router'

export const routes: RouteRecordRaw[] = [
  { path: 'dataset', name: 'dataset', component: () => import('./DatasetListView.vue') },
  { path: 'dataset/create', name: 'dataset-create', component: () => import('./DatasetEditView.vue') },
  { path: 'dataset/create/:id(\\d+)', name: 'dataset-copy', component: () => import('./DatasetEditView.vue') },
  { path: 'dataset/edit/:id(\\d+)', name: 'dataset-edit', component: () => import('./DatasetEditView.vue') },
  { path: 'dataset/:id(\\d+)', name: 'dataset-detail', component: () => import('./DatasetDetailView.vue') },
]

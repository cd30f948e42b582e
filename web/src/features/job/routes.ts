import type { RouteRecordRaw } from 'vue-router'
import type { JobKind } from './api'

const list = () => import('./JobListView.vue')
const run = () => import('./JobRunView.vue')
const detail = () => import('./JobDetailView.vue')

function kindRoutes(kind: JobKind): RouteRecordRaw[] {
  const props = { kind }
  return [
    { path: kind, name: kind, component: list, props },
    { path: `${kind}/run`, name: `${kind}-run`, component: run, props },
    { path: `${kind}/run/:originId(\\d+)`, name: `${kind}-copy`, component: run, props },
    { path: `${kind}/:id(\\d+)`, name: `${kind}-detail`, component: detail, props },
  ]
}

export const routes: RouteRecordRaw[] = [...kindRoutes('training'), ...kindRoutes('inference')]

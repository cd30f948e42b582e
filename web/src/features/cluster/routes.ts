import type { RouteRecordRaw } from 'vue-router'

// Cluster management at the original's URLs, which the server's side menu
// links to: nodes and quotas (menus Node, Quota), cluster resources (menu
// Resource) and the tenant manager's resources (menu TenantResource). The
// tabs of the resource screens are an optional segment of one route, so
// that switching tabs keeps the screen.
export const routes: RouteRecordRaw[] = [
  { path: 'node', name: 'admin-nodes', component: () => import('./NodeList.vue') },
  { path: 'node/edit/:id(\\d+)?', name: 'admin-node-edit', component: () => import('./NodeEdit.vue') },
  { path: 'quota', name: 'admin-quotas', component: () => import('./QuotaView.vue') },
  { path: 'cluster-resource/:tab(tenant|container-list|data-download)?', name: 'cluster-resource', component: () => import('./ClusterResourceView.vue') },
  { path: 'cluster-resource/:tenantId(\\d+)/:name', name: 'cluster-container', component: () => import('./ContainerView.vue') },
  { path: 'manage/resource/:tab(container-list)?', name: 'tenant-resource', component: () => import('./TenantResourceView.vue') },
  { path: 'manage/resource/container/:name', name: 'tenant-container', component: () => import('./ContainerView.vue') },
]

import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { routes as dataRoutes } from '@/features/data/routes'
import { routes as datasetRoutes } from '@/features/dataset/routes'
import { routes as accountRoutes } from '@/features/account/routes'
import { routes as adminRoutes } from '@/features/admin/routes'
import { routes as jobRoutes } from '@/features/job/routes'
import { routes as preprocessingRoutes } from '@/features/preprocessing/routes'
import { routes as clusterRoutes } from '@/features/cluster/routes'

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/features/login/LoginView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('@/components/AppLayout.vue'),
    children: [
      { path: '', name: 'dashboard', component: () => import('@/features/dashboard/DashboardView.vue') },
      ...dataRoutes,
      ...datasetRoutes,
      ...accountRoutes,
      ...adminRoutes,
      ...jobRoutes,
      ...preprocessingRoutes,
      ...clusterRoutes,
      { path: ':rest(.*)*', name: 'not-found', component: () => import('@/components/NotFoundView.vue') },
    ],
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!localStorage.getItem('kqi.token')) return { name: 'login', query: { return_url: to.fullPath } }
  return true
})

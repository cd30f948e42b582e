import type { RouteRecordRaw } from 'vue-router'

// Administration (system menus) and the tenant manager's screens, at the
// original's URLs, which the server's side menu links to.
export const routes: RouteRecordRaw[] = [
  { path: 'tenant', name: 'admin-tenants', component: () => import('./TenantList.vue') },
  { path: 'tenant/edit/:id(\\d+)?', name: 'admin-tenant-edit', component: () => import('./TenantEdit.vue') },
  { path: 'user', name: 'admin-users', component: () => import('./UserList.vue') },
  { path: 'user/edit/:id(\\d+)?', name: 'admin-user-edit', component: () => import('./UserEdit.vue') },
  { path: 'role', name: 'admin-roles', component: () => import('./RoleList.vue') },
  { path: 'role/edit/:id(\\d+)?', name: 'admin-role-edit', component: () => import('./RoleEdit.vue') },
  { path: 'menu', name: 'admin-menus', component: () => import('./MenuAccess.vue') },
  { path: 'storage', name: 'admin-storages', component: () => import('./StorageList.vue') },
  { path: 'storage/edit/:id(\\d+)?', name: 'admin-storage-edit', component: () => import('./StorageEdit.vue') },
  { path: 'git', name: 'admin-gits', component: () => import('./GitList.vue') },
  { path: 'git/edit/:id(\\d+)?', name: 'admin-git-edit', component: () => import('./GitEdit.vue') },
  { path: 'registry', name: 'admin-registries', component: () => import('./RegistryList.vue') },
  { path: 'registry/edit/:id(\\d+)?', name: 'admin-registry-edit', component: () => import('./RegistryEdit.vue') },
  { path: 'manage/tenant', name: 'manage-tenant', component: () => import('./ManageTenant.vue') },
  { path: 'manage/user', name: 'manage-users', component: () => import('./ManageUserList.vue') },
  { path: 'manage/user/:id(\\d+)', name: 'manage-user-edit', component: () => import('./ManageUserEdit.vue') },
  { path: 'manage/role', name: 'manage-roles', component: () => import('./ManageRoleList.vue') },
  { path: 'manage/role/edit/:id(\\d+)?', name: 'manage-role-edit', component: () => import('./ManageRoleEdit.vue') },
  { path: 'manage/menu', name: 'manage-menus', component: () => import('./ManageMenu.vue') },
]

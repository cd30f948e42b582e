import type { components } from '@/api/client'

/** TenantModel is what the tenant form edits. */
export type TenantModel = {
  tenantName: string
  displayName: string
  storageId: number | null
  gitIds: number[]
  defaultGitId: number | null
  registryIds: number[]
  defaultRegistryId: number | null
  availableInfiniteTimeNotebook: boolean
}

export function tenantModel(d: components['schemas']['TenantDetails']): TenantModel {
  return {
    tenantName: d.name,
    displayName: d.displayName,
    storageId: d.storageId,
    gitIds: [...d.gitIds],
    defaultGitId: d.defaultGitId,
    registryIds: [...d.registryIds],
    defaultRegistryId: d.defaultRegistryId,
    availableInfiniteTimeNotebook: d.availableInfiniteTimeNotebook,
  }
}

/** tenantBody is the request body of a tenant edit (without its name). */
export function tenantBody(m: TenantModel): components['schemas']['TenantInput'] {
  return {
    displayName: m.displayName.trim(),
    storageId: m.storageId ?? 0,
    gitIds: m.gitIds,
    defaultGitId: m.defaultGitId,
    registryIds: m.registryIds,
    defaultRegistryId: m.defaultRegistryId,
    availableInfiniteTimeNotebook: m.availableInfiniteTimeNotebook,
  }
}

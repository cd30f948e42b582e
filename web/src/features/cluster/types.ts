// The cluster API's models: nodes, partitions, quotas and resources.
// Written by hand from the original's v2 swagger (the same camelCase names)
// while the server's route table does not have these routes yet. When it
// does, `make generate` puts them in schema.gen.ts: each type below then
// becomes components['schemas'][...], and ClusterPaths goes away.

/** NodeAccessLevel: who may run on a node. */
export const AccessLevel = { Disabled: 0, Private: 1, Public: 2 } as const
export type NodeAccessLevel = (typeof AccessLevel)[keyof typeof AccessLevel]

/** EnumInfo: an enum value and its name (access levels, container types). */
export interface EnumInfo {
  id: number
  name: string
}

/** AssignedTenant: a tenant that may use a Private node. */
export interface AssignedTenant {
  id: number
  name: string
  displayName: string
}

/** NodeIndex: a node in the list (NodeApiModels.IndexOutputModel). */
export interface NodeIndex {
  id: number
  name: string
  memo: string | null
  partition: string | null
  accessLevel: NodeAccessLevel
  accessLevelStr: string
  tensorBoardEnabled: boolean
  notebookEnabled: boolean
  createdBy: string
  createdAt: string
  modifiedBy: string
  modifiedAt: string
  /** Not in the original's list model: shown when the server adds it, read from the details otherwise. */
  assignedTenants?: AssignedTenant[] | null
}

/** NodeDetails: one node with the tenants of a Private node (NodeApiModels.DetailsOutputModel). */
export interface NodeDetails extends NodeIndex {
  assignedTenants: AssignedTenant[] | null
}

/** NodeInput: create or edit a node (NodeApiModels.CreateInputModel). */
export interface NodeInput {
  name: string
  memo?: string
  partition?: string
  accessLevel: NodeAccessLevel
  /** Only for a Private node; ignored otherwise. */
  assignedTenantIds?: number[]
  tensorBoardEnabled: boolean
  notebookEnabled: boolean
}

/** Quota: a tenant's limits; 0 is unlimited (ClusterApiModels.QuotaOutputModel). */
export interface Quota {
  tenantId: number
  tenantName: string
  cpu: number
  memory: number
  gpu: number
}

/** QuotaInput: one tenant's limits in the bulk save (ClusterApiModels.QuotaInputModel). */
export interface QuotaInput {
  tenantId: number
  cpu: number
  memory: number
  gpu: number
}

/** Container: a running container (ResourceApiModels.ContainerDetailsOutputModel). */
export interface Container {
  name: string
  createdBy: string
  containerType: number
  conditionNote: string | null
  cpu: number
  memory: number
  gpu: number
  statusType: string
  status: string
  nodeName: string | null
  tenantId: number
  tenantName: string
  displayName: string
  /** Not in the original's model: shown when the server sends it. */
  createdAt?: string | null
}

/** TenantContainer: a container of the connected tenant (ResourceApiModels.ContainerDetailsForTenantOutputModel). */
export type TenantContainer = Omit<Container, 'tenantId' | 'tenantName' | 'displayName'>

/** Usage: what is allocatable and what is assigned, with the containers that hold it. */
interface Usage {
  allocatableCpu: number
  allocatableMemory: number
  allocatableGpu: number
  assignedCpu: number
  assignedMemory: number
  assignedGpu: number
  containerResourceList: Container[] | null
}

/** NodeResource: a node's usage (ResourceApiModels.NodeResourceOutputModel); 'Unassigned' holds pending containers. */
export interface NodeResource extends Usage {
  name: string
  memo: string | null
  partition: string | null
  accessLevel: NodeAccessLevel
  tensorBoardEnabled: boolean
}

/** TenantResource: a tenant's usage against its quota (ResourceApiModels.TenantResourceOutputModel). */
export interface TenantResource extends Usage {
  id: number
  name: string
  displayName: string
}

/** ContainerEvent: something that happened to a container, as the runner reports it (the jobs' events). */
export interface ContainerEvent {
  time: string
  error: boolean
  reason: string
  message: string
}

/** HistoryMetadata: how many history rows there are and over which dates (ResourceApiModels.HistoryMetadataOutputModel). */
export interface HistoryMetadata {
  count: number
  startDate: string | null
  endDate: string | null
}

/** HistoryDeleteInput: delete the history up to a date (ResourceApiModels.HistoryDeleteInputModel). */
export interface HistoryDeleteInput {
  endDate: string
}

/** TenantNode: a node the tenant may use, for the run forms (ClusterApiModels.NodeResourceOutputModel). */
export interface TenantNode {
  name: string
  memo: string | null
  partition: string | null
  accessLevel: NodeAccessLevel
  allocatableCpu: number
  allocatableMemory: number
  allocatableGpu: number
}

// The routes, in the shape openapi-typescript writes, so that the typed
// client checks paths, parameters and bodies as it does for generated ones.
type Res<T> = { headers: Record<string, unknown>; content: { 'application/json': T } }
type NoContent = { headers: Record<string, unknown>; content?: never }
type Params<P = never, Q = never> = {
  query?: [Q] extends [never] ? never : Q
  header?: never
  cookie?: never
} & ([P] extends [never] ? { path?: never } : { path: P })
type Get<T, P = never, Q = never> = { parameters: Params<P, Q>; requestBody?: never; responses: { 200: Res<T> } }
type Send<B, T, P = never> = { parameters: Params<P>; requestBody: { content: { 'application/json': B } }; responses: { 200: Res<T>; 201: Res<T> } }
type Del<P = never> = { parameters: Params<P>; requestBody?: never; responses: { 204: NoContent } }
type Id = { id: number }
type AdminContainer = { tenantId: number; name: string }
type Name = { name: string }
type DateRange = { startDate?: string; endDate?: string; withHeader?: boolean }

export interface ClusterPaths {
  '/api/v2/tenant/partitions': { get: Get<string[]> }
  '/api/v2/admin/partitions': { get: Get<string[]> }
  '/api/v2/admin/quotas': { get: Get<Quota[]>; post: Send<QuotaInput[], Quota[]> }
  '/api/v2/tenant/quota': { get: Get<Quota> }
  '/api/v2/tenant/nodes': { get: Get<TenantNode[]> }
  '/api/v2/admin/nodes': { get: Get<NodeIndex[]>; post: Send<NodeInput, NodeIndex> }
  '/api/v2/admin/node-access-levels': { get: Get<EnumInfo[]> }
  '/api/v2/admin/nodes/{id}': { get: Get<NodeDetails, Id>; put: Send<NodeInput, NodeIndex, Id>; delete: Del<Id> }
  '/api/v2/admin/nodes/sync-cluster-from-db': { post: Send<Record<string, never>, NodeIndex[]> }
  '/api/v2/admin/resource/nodes': { get: Get<NodeResource[]> }
  '/api/v2/admin/resource/tenants': { get: Get<TenantResource[]> }
  '/api/v2/admin/resource/containers': { get: Get<Container[]> }
  '/api/v2/admin/resource/container-types': { get: Get<EnumInfo[]> }
  '/api/v2/admin/resource/containers/{tenantId}/{name}': { get: Get<Container, AdminContainer>; delete: Del<AdminContainer> }
  '/api/v2/admin/resource/containers/{tenantId}/{name}/log': { get: Get<string, AdminContainer> }
  '/api/v2/admin/resource/containers/{tenantId}/{name}/events': { get: Get<ContainerEvent[], AdminContainer> }
  '/api/v2/tenant/resource/containers': { get: Get<TenantContainer[]> }
  '/api/v2/tenant/resource/nodes': { get: Get<NodeResource[]> }
  '/api/v2/tenant/resource/containers/{name}': { get: Get<TenantContainer, Name>; delete: Del<Name> }
  '/api/v2/tenant/resource/containers/{name}/log': { get: Get<string, Name> }
  '/api/v2/admin/resource/histories/containers/metadata': { get: Get<HistoryMetadata> }
  '/api/v2/admin/resource/histories/containers/data': { get: Get<string, never, DateRange> }
  '/api/v2/admin/resource/histories/containers': { patch: Send<HistoryDeleteInput, unknown> }
  '/api/v2/admin/resource/histories/jobs/metadata': { get: Get<HistoryMetadata> }
  '/api/v2/admin/resource/histories/jobs/data': { get: Get<string, never, DateRange> }
  '/api/v2/admin/resource/histories/jobs': { patch: Send<HistoryDeleteInput, unknown> }
}

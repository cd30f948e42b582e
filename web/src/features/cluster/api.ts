// Calls to the cluster API. clusterApi is the console's client (token,
// errors, 401) typed with the hand-written routes of types.ts; once
// schema.gen.ts has them it is plain `api`.
import type { Client } from 'openapi-fetch'
import { api, authHeaders, toApiError, ApiError } from '@/api/client'
import { i18n } from '@/app/i18n'
import type { ClusterPaths, TenantContainer } from './types'

export { unwrap } from '@/api/client'

export const clusterApi = api as unknown as Client<ClusterPaths>

/** The quota screen's maxima are the run forms' (the original UI's): CPU cores, memory GB, GPUs. */
export { limits as quotaMax } from '@/features/job/api'
export type Resource = 'cpu' | 'memory' | 'gpu'

/** text reads a plain-text answer (a container's log), or throws its ApiError. */
export async function text(url: string): Promise<string> {
  let r: Response
  try {
    r = await fetch(url, { headers: authHeaders() })
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e))
  }
  const body = await r.text()
  if (!r.ok) {
    let parsed: unknown = body
    try {
      parsed = JSON.parse(body)
    } catch {
      // plain text error
    }
    throw toApiError(r.status, parsed)
  }
  return body
}

/** download fetches a file with the token and hands it to the browser under name. */
export async function download(url: string, name: string): Promise<void> {
  const body = await text(url)
  const href = URL.createObjectURL(new Blob([body], { type: 'text/csv' }))
  const a = document.createElement('a')
  a.href = href
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(href), 1000)
}

/** containerPath is the API path of a container: the admin's by tenant, or the connected tenant's. */
export function containerPath(c: { name: string; tenantId?: number | null }): string {
  const name = encodeURIComponent(c.name)
  return c.tenantId != null ? `/api/v2/admin/resource/containers/${c.tenantId}/${name}` : `/api/v2/tenant/resource/containers/${name}`
}

// The server's ContainerType numbers (GET /admin/resource/container-types).
const containerTypes = ['unknown', 'training', 'tensorBoard', 'preprocessing', 'notebook', 'inference', 'evaluation'] as const

/** containerType names a ContainerType value in the current language. */
export function containerType(n: number): string {
  const k = containerTypes[n]
  return k ? i18n.global.t(`cluster.containerType.${k}`) : `#${n}`
}

/** unlimited: a quota of 0 (or none) sets no limit. */
export const unlimited = (n: number | null | undefined) => !n

/** isTenantContainer tells apart the two container models (the tenant's has no tenantId). */
export function isTenantContainer(c: TenantContainer | { tenantId: number }): c is TenantContainer {
  return !('tenantId' in c)
}

// The typed API client. Every call goes through it: it adds the token,
// turns the KAMONOHASHI error body into an ApiError with a readable
// message, and sends the user to the login page (and back) on 401.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema.gen'
import { session } from '@/app/session'

export type { components } from './schema.gen'

/** An error answered by the API: its status and the error body's title/detail. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public title: string,
    public detail?: string,
  ) {
    super(detail ? `${title} (${detail})` : title)
  }
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = session.token.value
    if (token) request.headers.set('Authorization', `Bearer ${token}`)
    return request
  },
  onResponse({ response }) {
    if (response.status === 401 && session.token.value) session.expired()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: '' })
api.use(auth)

type Result<T> = { data?: T; error?: unknown; response: Response }

/** send awaits a call and returns its answer, or throws its ApiError (status 0 when the network failed). */
async function send<T>(p: Promise<Result<T>>): Promise<Result<T>> {
  let r: Result<T>
  try {
    r = await p
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e))
  }
  if (!r.response.ok) throw toApiError(r.response.status, r.error)
  return r
}

/** unwrap returns the data of a call or throws its ApiError. */
export async function unwrap<T>(p: Promise<Result<T>>): Promise<T> {
  return (await send(p)).data as T
}

/** unwrapPaged returns one page of a list and the X-Total-Count of the whole list. */
export async function unwrapPaged<T>(p: Promise<Result<T[]>>): Promise<{ items: T[]; total: number }> {
  const r = await send(p)
  const items = r.data ?? []
  const h = r.response.headers.get('X-Total-Count')
  const total = h != null && h !== '' && !Number.isNaN(Number(h)) ? Number(h) : items.length
  return { items, total }
}

export function toApiError(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object' && 'title' in body) {
    const b = body as { title?: string; detail?: string }
    return new ApiError(status, b.title ?? String(status), b.detail)
  }
  return new ApiError(status, typeof body === 'string' && body ? body : `HTTP ${status}`)
}

/** Headers for calls made with fetch/XHR directly (uploads, binary). */
export function authHeaders(): Record<string, string> {
  const token = session.token.value
  return token ? { Authorization: `Bearer ${token}` } : {}
}

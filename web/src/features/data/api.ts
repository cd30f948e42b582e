// Helpers shared by the data and dataset screens: the server's tag and
// file-name rules, image thumbnails.
import { api, ApiError, toApiError, type components } from '@/api/client'

export type DataView = components['schemas']['DataView']
export type DataDetails = components['schemas']['DataDetails']
export type FileView = components['schemas']['FileView']
export type Uploaded = components['schemas']['Uploaded']

/** MAX_FILES is the server's limit of files in one data. */
export const MAX_FILES = 10000

type Result<T> = { data?: T; error?: unknown; response: Response }

export type TagProblem = 'blank' | 'comma' | 'operator' | 'long'

/** tagProblem applies the server's tag rule: not blank, no comma, not starting with ! = < >, at most 256 bytes. */
export function tagProblem(tag: string): TagProblem | null {
  if (tag.trim() === '') return 'blank'
  if (tag.includes(',')) return 'comma'
  if ('!=<>'.includes(tag[0] ?? '')) return 'operator'
  if (new TextEncoder().encode(tag).length > 256) return 'long'
  return null
}

/** fileNameOk applies the server's rule for data file names (relative paths with `/` for folders). */
export function fileNameOk(name: string): boolean {
  if (name === '' || name.startsWith('/') || name.includes('\\')) return false
  if (/[\u0000-\u001f\u007f]/.test(name)) return false
  return name.split('/').every((s) => s !== '' && s !== '.' && s !== '..')
}

const imageExt = ['.jpg', '.jpeg', '.png', '.gif', '.webp']

/** isImage tells the files the thumbnail endpoint can preview. */
export function isImage(name: string): boolean {
  const n = name.toLowerCase()
  return imageExt.some((e) => n.endsWith(e))
}

/** baseName is the last segment of a file name with folders. */
export function baseName(name: string): string {
  const i = name.lastIndexOf('/')
  return i < 0 ? name : name.slice(i + 1)
}

/** thumbnailUrl fetches an image preview (with the token) and returns an object URL; revoke it when done. */
export async function thumbnailUrl(dataId: number, fileId: number, size: number): Promise<string> {
  let r: Result<Blob>
  try {
    r = await api.GET('/api/v2/data/{id}/files/{fileId}/thumbnail', {
      params: { path: { id: dataId, fileId }, query: { size } },
      parseAs: 'blob',
    })
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e))
  }
  if (!r.response.ok || !r.data) throw toApiError(r.response.status, r.error)
  return URL.createObjectURL(r.data)
}

/** loadTags returns the tenant's data tags, or none when the user may not read them. */
export async function loadTags(): Promise<string[]> {
  try {
    const r = await api.GET('/api/v2/data/datatags')
    return r.response.ok && r.data ? [...r.data].sort((a, b) => a.localeCompare(b)) : []
  } catch {
    return []
  }
}

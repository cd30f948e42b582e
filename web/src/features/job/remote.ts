// Browsing registries and git repositories for the pickers of the run
// forms: images and tags (GET /registries/{id}/images…), repositories,
// branches and commits (GET /git/{gitId}/repos…). These routes are not in
// every server's route table yet, so they are called here by path, and a
// picker whose route is missing (404/405) stays a free text field.
import { authHeaders } from '@/api/client'
import { session } from '@/app/session'

export interface Branch {
  branchName: string
  commitId: string
}

export interface Commit {
  commitId: string
  committerName: string
  commitAt: string
  comment: string
  display?: string
}

export interface Repository {
  owner: string
  name: string
  fullName: string
}

/** get returns the JSON of a GET, or null when the server has no such route or refuses. */
async function get<T>(url: string): Promise<T | null> {
  try {
    const r = await fetch(url, { headers: { ...authHeaders(), Accept: 'application/json' } })
    if (r.status === 401) {
      session.expired()
      return null
    }
    if (!r.ok) return null
    return (await r.json()) as T
  } catch {
    return null
  }
}

const enc = encodeURIComponent
/** A name that may hold '/' (an image, a GitLab group) keeps its slashes in the path. */
const encPath = (s: string) => s.split('/').map(enc).join('/')

export function listImages(registryId: number): Promise<string[] | null> {
  return get<string[]>(`/api/v2/registries/${registryId}/images`)
}

export function listTags(registryId: number, image: string): Promise<string[] | null> {
  return get<string[]>(`/api/v2/registries/${registryId}/images/${encPath(image)}/tags`)
}

export function listRepos(gitId: number): Promise<Repository[] | null> {
  return get<Repository[]>(`/api/v2/git/${gitId}/repos`)
}

function repoPath(gitId: number, owner: string, repo: string): string {
  const o = owner.trim()
  return `/api/v2/git/${gitId}/repos/${o ? encPath(o) + '/' : ''}${enc(repo.trim())}`
}

export function listBranches(gitId: number, owner: string, repo: string): Promise<Branch[] | null> {
  return get<Branch[]>(`${repoPath(gitId, owner, repo)}/branches`)
}

export function listCommits(gitId: number, owner: string, repo: string, branch: string): Promise<Commit[] | null> {
  const q = branch.trim() ? `?branch=${enc(branch.trim())}` : ''
  return get<Commit[]>(`${repoPath(gitId, owner, repo)}/commits${q}`)
}

// The job screens' shared pieces: the two job areas (trainings under
// /api/v2/training, inferences under /api/v2/inferences) share every route
// shape, so one set of screens serves both; the kind picks the area.
import type { paths } from '@/api/schema.gen'
import type { components } from '@/api/client'

export type JobView = components['schemas']['JobView']
export type JobDetails = components['schemas']['JobDetails']
export type JobFile = components['schemas']['AttachedFileView']
export type Listing = components['schemas']['Listing']
export type JobEvent = components['schemas']['Event']
export type RunInput = components['schemas']['RunInput']
export type SearchDetail = components['schemas']['SearchDetail']
export type SavedSearch = components['schemas']['SavedSearch']

export type JobKind = 'training' | 'inference'

/** route is the console's path of a kind's screens. */
export const route: Record<JobKind, string> = { training: '/training', inference: '/inference' }

const base: Record<JobKind, string> = { training: '/api/v2/training', inference: '/api/v2/inferences' }

type TrainingPath = Extract<keyof paths, `/api/v2/training${string}`>

/**
 * jobPath turns a training route into the same route of the kind: the
 * inference routes have the same parameters and bodies, so the typed
 * client checks both through the training one.
 */
export function jobPath<P extends TrainingPath>(kind: JobKind, p: P): P {
  return (kind === 'training' ? p : p.replace(base.training, base.inference)) as P
}

/** apiBase is the kind's API prefix, for calls made with fetch (the log stream). */
export function apiBase(kind: JobKind): string {
  return base[kind]
}

/** isActive tells whether a job may still change (queued, running, or in error): the original's Exist(). */
export function isActive(statusType?: string | null): boolean {
  return statusType === 'Running' || statusType === 'Error'
}

export type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/** statusTagType is the color of a status: running blue, queued amber, done green, stopped grey, failed red. */
export function statusTagType(status: string, statusType: string): TagType {
  if (statusType === 'Running') return status === 'Pending' ? 'warning' : 'primary'
  if (statusType === 'Closed') return status === 'Completed' ? 'success' : 'info'
  if (statusType === 'Failed' || statusType === 'Error') return 'danger'
  return 'info'
}

/** envNameRe is the server's rule for environment variable names. */
export const envNameRe = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/

/** Resource bounds of a run (the original's UI and the server's checks). */
export const limits = { cpu: 250, memory: 500, gpu: 16 }

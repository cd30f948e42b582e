// The dataset screens' shared pieces: the areas entries go to and the
// names of the data types.
import type { components } from '@/api/client'

export type DatasetDetails = components['schemas']['DatasetDetails']
export type DataType = components['schemas']['DataType']

/** Area is where picked data go: a data type, or `flat`. */
export interface Area {
  key: string
  label: string
}

export const FLAT = 'flat'

/** typeKey is the locale key of a known data type name, or null for others. */
export function typeKey(name: string): string | null {
  return ['training', 'testing', 'validation'].includes(name) ? `dataset.types.${name}` : null
}

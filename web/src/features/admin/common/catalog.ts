// Git servers and registries. The API has no list endpoint for them yet
// (only the ids a tenant uses), so the screens offer the ones the server
// seeds (internal/store/migrations/00001_identity.sql).
export type Known = { id: number; name: string }

export const knownGits: Known[] = [
  { id: 1, name: 'GitHub' },
  { id: 2, name: 'GitLab.com' },
]

export const knownRegistries: Known[] = [
  { id: 1, name: 'official-docker-hub' },
  { id: 2, name: 'ngc' },
]

/** withUnknown adds ids in use that the catalogue does not know, shown by number. */
export function withUnknown(known: Known[], ids: number[]): Known[] {
  const out = [...known]
  for (const id of ids) if (!out.some((k) => k.id === id)) out.push({ id, name: `#${id}` })
  return out
}

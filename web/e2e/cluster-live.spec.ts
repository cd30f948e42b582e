import { expect, test } from '@playwright/test'
import { login, shot, token } from './helpers'

// The cluster screens against the real server (the local runner): the node
// the first start registered, its partition reaching the resource view,
// the quota table, the tenant's own resource screen and the history
// downloads' metadata. The mocked specs (cluster.spec.ts) cover the
// detailed flows; this one checks that the screens read what the server
// really sends.
for (const lang of ['en', 'ja'] as const) {
  test(`cluster screens on the real server (${lang})`, async ({ page, request }) => {
    await login(page, lang)
    const headers = { Authorization: `Bearer ${await token(page)}` }
    const nodes = await (await request.get('/api/v2/admin/nodes', { headers })).json()
    expect(nodes.length, 'nodes registered by the first start').toBeGreaterThan(0)
    const local = nodes[0]

    await page.goto('/node')
    await expect(page.getByTestId(`node-${local.name}`)).toBeVisible()
    await expect(page.getByTestId('node-empty')).toHaveCount(0)
    await shot(page, lang, 'live-nodes')

    await page.getByTestId(`node-${local.name}`).click()
    await expect(page).toHaveURL(new RegExp(`/node/edit/${local.id}$`))
    await shot(page, lang, 'live-node-edit')

    await page.goto('/quota')
    await expect(page.getByTestId('quota-tenant-1')).toBeVisible()
    await shot(page, lang, 'live-quota')

    await page.goto('/cluster-resource')
    await expect(page.getByTestId(`usage-node-${local.name}`)).toBeVisible()
    await shot(page, lang, 'live-cluster-resource')

    await page.goto('/cluster-resource/data-download')
    await expect(page.getByTestId('history-jobs-count')).toHaveText(/^\d+$/)
    await expect(page.getByTestId('history-containers-count')).toHaveText(/^\d+$/)
    await shot(page, lang, 'live-cluster-history')

    await page.goto('/manage/resource')
    await expect(page.getByTestId(`usage-node-${local.name}`)).toBeVisible()
    await shot(page, lang, 'live-tenant-resource')
  })
}

import { expect, test, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { field, login } from './helpers'
import { ClusterMock } from './clusterMock'
import { JobsMock } from './jobsMock'

// Cluster management: nodes and quotas (administrator), cluster resources
// (administrator) and tenant resources (tenant manager). The binary under
// test does not have the cluster routes yet, so ClusterMock plays them in
// the browser; tenants, menus and the account are real.

const shots = process.env.KQI_SHOTS ?? '/tmp/clusterui-shots'

/** snap saves a screenshot for review (not committed). */
async function snap(page: Page, lang: string, name: string) {
  mkdirSync(`${shots}/${lang}`, { recursive: true })
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: `${shots}/${lang}/${name}.png`, fullPage: true })
}

async function confirmBox(page: Page) {
  const box = page.locator('.el-message-box')
  await expect(box).toBeVisible()
  await box.locator('.el-button--danger, .el-button--primary').last().click()
  await expect(box).toBeHidden()
}

async function pickDate(page: Page, testId: string, ...dates: string[]) {
  const inputs = page.getByTestId(testId).locator('input')
  for (const [i, d] of dates.entries()) {
    await inputs.nth(i).fill(d)
    await inputs.nth(i).press('Enter')
  }
}

test('nodes: list, sync, a private node with tenants, edit, and a delete refused while containers run (en)', async ({ page }) => {
  const m = new ClusterMock()
  await m.install(page)
  await login(page, 'en')

  await page.goto('/node')
  const table = page.getByTestId('node-table')
  await expect(table.locator('tr', { hasText: 'gpu-node-01' })).toContainText('Public')
  await expect(table.locator('tr', { hasText: 'cpu-node-01' })).toContainText('Private')
  await expect(table.locator('tr', { hasText: 'cpu-node-01' })).toContainText('Sandbox')
  await expect(table.locator('tr', { hasText: 'old-node' })).toContainText('Disabled')
  await snap(page, 'en', 'node-list')

  await page.getByTestId('node-sync').click()
  await confirmBox(page)
  await expect(page.getByTestId('node-sync-result')).toContainText('Labels set again on 3 nodes')
  expect(m.last('POST', '/admin/nodes/sync-cluster-from-db')).toBeTruthy()

  // Create: the name rule is checked before sending; a private node takes tenants.
  await page.getByTestId('node-create').click()
  await expect(page).toHaveURL(/\/node\/edit$/)
  await page.getByTestId('node-name').fill('bad name!')
  await page.getByTestId('save').click()
  await expect(page.locator('.el-form-item__error')).toContainText('Use letters, digits and - _ .')
  await page.getByTestId('node-name').fill('gpu-node-02')
  await page.getByTestId('node-partition').click()
  await page.keyboard.type('h100')
  await page.keyboard.press('Enter')
  await page.getByTestId('node-access-1').click()
  await expect(page.getByTestId('node-no-tenants')).toBeVisible()
  await page.getByTestId('node-tenants').click()
  await page.getByTestId('node-tenant-1').click()
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('node-no-tenants')).toHaveCount(0)
  await page.getByTestId('node-tensorboard').click()
  await field(page, 'node-memo').fill('H100 x8')
  await snap(page, 'en', 'node-create')
  await page.getByTestId('save').click()
  await expect(page).toHaveURL(/\/node$/)
  expect(m.last('POST', '/admin/nodes')?.body).toEqual({
    name: 'gpu-node-02', memo: 'H100 x8', partition: 'h100', accessLevel: 1, assignedTenantIds: [1], tensorBoardEnabled: false, notebookEnabled: true,
  })
  await expect(table.locator('tr', { hasText: 'gpu-node-02' })).toContainText('Sandbox')

  // Edit: made public, the tenants are not sent.
  await page.getByTestId('node-gpu-node-02').click()
  await expect(page.getByTestId('node-name')).toHaveValue('gpu-node-02')
  await snap(page, 'en', 'node-edit')
  await page.getByTestId('node-access-2').click()
  await expect(page.getByTestId('node-tenants')).toHaveCount(0)
  await page.getByTestId('save').click()
  await expect(page).toHaveURL(/\/node$/)
  expect(m.last('PUT', '/admin/nodes/10')?.body).toMatchObject({ accessLevel: 2, assignedTenantIds: [] })

  // Delete while containers run on it: 409, said plainly, and the node stays.
  await page.getByTestId('node-gpu-node-01').click()
  await page.getByTestId('delete').click()
  await confirmBox(page)
  await expect(page.getByTestId('form-error')).toContainText('Node gpu-node-01 cannot be deleted: containers are running on it.')
  await expect(page.getByTestId('form-error')).toContainText('has running containers')
  await expect(page).toHaveURL(/\/node\/edit\/1$/)
  await snap(page, 'en', 'node-delete-409')

  await page.goto('/node/edit/3')
  await page.getByTestId('delete').click()
  await confirmBox(page)
  await expect(page).toHaveURL(/\/node$/)
  await expect(page.getByTestId('node-old-node')).toHaveCount(0)
})

test('quotas: a value past the cap is refused with a message, then all tenants are saved (ja)', async ({ page }) => {
  const m = new ClusterMock()
  await m.install(page)
  await login(page, 'ja')

  await page.goto('/quota')
  await expect(page.getByTestId('quota-tenant-1')).toHaveText('Sandbox')
  await expect(page.getByTestId('quota-table')).toContainText('無制限')
  const cpu = page.getByTestId('quota-cpu-2').locator('input')
  await cpu.fill('300')
  await cpu.blur()
  await expect(page.getByTestId('quota-error-cpu-2')).toHaveText('0〜250 の整数を入力してください')
  await expect(page.getByTestId('quota-invalid')).toBeVisible()
  await expect(page.getByTestId('save')).toBeDisabled()
  await snap(page, 'ja', 'quota-invalid')

  await cpu.fill('32')
  await cpu.blur()
  const gpu = page.getByTestId('quota-gpu-2').locator('input')
  await gpu.fill('4')
  await gpu.blur()
  await expect(page.getByTestId('quota-changed')).toBeVisible()
  await page.getByTestId('save').click()
  await expect(page.getByTestId('quota-changed')).toHaveCount(0)
  expect(m.last('POST', '/admin/quotas')?.body).toEqual([
    { tenantId: 1, cpu: 16, memory: 64, gpu: 2 },
    { tenantId: 2, cpu: 32, memory: 0, gpu: 4 },
  ])
  await snap(page, 'ja', 'quota')
})

for (const lang of ['en', 'ja'] as const) {
  test(`cluster resources: by node, by tenant, containers, a container's log and delete (${lang})`, async ({ page }) => {
    const m = new ClusterMock()
    await m.install(page)
    await login(page, lang)

    await page.goto('/cluster-resource')
    const gpu = page.getByTestId('usage-gpu-node-01-gpu')
    await expect(gpu).toHaveAttribute('data-used', '2')
    await expect(gpu).toHaveAttribute('data-total', '4')
    await expect(gpu).toContainText('2 / 4')
    await expect(page.getByTestId('usage-node-Unassigned')).toContainText('training-13-pqrst')
    await expect(page.getByTestId('container-status-training-13-pqrst')).toHaveText('Pending')
    await snap(page, lang, 'resource-nodes')

    await page.getByRole('tab', { name: lang === 'en' ? 'By tenant' : 'テナント別' }).click()
    await expect(page).toHaveURL(/\/cluster-resource\/tenant$/)
    await expect(page.getByTestId('usage-sandbox-cpu')).toContainText('12 / 16')
    await expect(page.getByTestId('usage-team-b-cpu')).toContainText(lang === 'en' ? '(no limit)' : '上限なし')
    await snap(page, lang, 'resource-tenants')

    await page.getByRole('tab', { name: lang === 'en' ? 'Containers' : 'コンテナ一覧' }).click()
    await expect(page).toHaveURL(/\/cluster-resource\/container-list$/)
    await expect(page.getByTestId('container-table').locator('tbody tr')).toHaveCount(4)
    await page.getByTestId('filter').fill('notebook')
    await expect(page.getByTestId('container-table').locator('tbody tr')).toHaveCount(1)
    await expect(page.getByTestId('container-table')).toContainText('Team B')
    await snap(page, lang, 'resource-containers')

    await page.getByTestId('container-notebook-3-fghij').click()
    await expect(page).toHaveURL(/\/cluster-resource\/2\/notebook-3-fghij$/)
    await expect(page.getByTestId('container-info')).toContainText('gpu-node-01')
    await expect(page.getByTestId('container-log')).toContainText('epoch 2 loss=0.4')
    await page.getByRole('tab', { name: lang === 'en' ? 'Events' : 'イベント' }).click()
    await expect(page.getByTestId('container-events')).toContainText('Back-off pulling image')
    await snap(page, lang, 'container-detail')
    await page.getByTestId('container-delete').click()
    await confirmBox(page)
    await expect(page).toHaveURL(/\/cluster-resource\/container-list$/)
    expect(m.last('DELETE', '/admin/resource/containers/2/notebook-3-fghij')).toBeTruthy()
    await expect(page.getByTestId('container-notebook-3-fghij')).toHaveCount(0)
  })
}

test('data download: history metadata, a CSV of a date range, and deleting history up to a date (en)', async ({ page }) => {
  const m = new ClusterMock()
  await m.install(page)
  await login(page, 'en')

  await page.goto('/cluster-resource/data-download')
  await expect(page.getByTestId('history-jobs-count')).toHaveText('1234')
  await expect(page.getByTestId('history-containers')).toContainText('No history')
  await pickDate(page, 'history-jobs-period', '2026-01-01', '2026-01-31')
  await page.getByTestId('history-jobs-header').click() // off
  const download = page.waitForEvent('download')
  await page.getByTestId('history-jobs-download').click()
  expect((await download).suggestedFilename()).toBe('jobs-history_2026-01-01_2026-01-31.csv')
  const q = m.last('GET', '/admin/resource/histories/jobs/data')?.query
  expect(q?.get('startDate')).toBe('2026-01-01')
  expect(q?.get('endDate')).toBe('2026-01-31')
  expect(q?.get('withHeader')).toBe('false')
  await snap(page, 'en', 'resource-data-download')

  await pickDate(page, 'history-jobs-until', '2025-12-31')
  await page.getByTestId('history-jobs-delete').click()
  await expect(page.locator('.el-message-box')).toContainText('Delete the Job history records up to 2025-12-31?')
  await confirmBox(page)
  expect(m.last('PATCH', '/admin/resource/histories/jobs')?.body).toEqual({ endDate: '2025-12-31' })
  await expect(page.getByTestId('history-jobs-count')).toHaveText('100')
})

test('tenant resources: the quota, usage by node and the tenant\'s containers with log and delete (ja)', async ({ page }) => {
  const m = new ClusterMock()
  await m.install(page)
  await login(page, 'ja')

  await page.goto('/manage/resource')
  await expect(page.getByTestId('tenant-quota-cpu')).toContainText('12 / 16')
  await expect(page.getByTestId('tenant-quota-gpu')).toContainText('1 / 2')
  await expect(page.getByTestId('usage-node-cpu-node-01')).toContainText('preproc-7-klmno')
  await expect(page.getByTestId('usage-node-gpu-node-01')).not.toContainText('notebook-3-fghij')
  await snap(page, 'ja', 'tenant-resource')

  await page.getByRole('tab', { name: 'コンテナ一覧' }).click()
  await expect(page).toHaveURL(/\/manage\/resource\/container-list$/)
  await expect(page.getByTestId('container-table').locator('tbody tr')).toHaveCount(2)
  await snap(page, 'ja', 'tenant-containers')
  await page.getByTestId('container-training-12-abcde').click()
  await expect(page).toHaveURL(/\/manage\/resource\/container\/training-12-abcde$/)
  await expect(page.getByTestId('container-log')).toContainText('start training-12-abcde')
  await expect(page.getByRole('tab', { name: 'イベント' })).toHaveCount(0)
  await snap(page, 'ja', 'tenant-container-detail')
  await page.getByTestId('container-delete').click()
  await confirmBox(page)
  await expect(page).toHaveURL(/\/manage\/resource\/container-list$/)
  expect(m.last('DELETE', '/tenant/resource/containers/training-12-abcde')).toBeTruthy()

  // A container that ended meanwhile is said to be gone.
  await page.goto('/manage/resource/container/no-such-container')
  await expect(page.getByTestId('container-gone')).toBeVisible()
})

test('the run form offers the tenant\'s partitions and shows its quota (en)', async ({ page }) => {
  const m = new ClusterMock()
  await m.install(page)
  await new JobsMock().install(page)
  await login(page, 'en')
  await page.goto('/training/run')
  await expect(page.getByTestId('run-quota')).toHaveText("Tenant's quota: CPU 16 / memory 64 GB / GPU 2")
  await page.getByTestId('run-partition').click()
  await expect(page.locator('.el-select-dropdown__item', { hasText: 'a100' })).toBeVisible()
  await page.locator('.el-select-dropdown__item', { hasText: 'a100' }).click()
  await snap(page, 'en', 'training-run-partition')
})

test('the cluster screens show the API error and retry (en)', async ({ page }) => {
  await page.route(/\/api\/v2\/admin\/(nodes|resource\/nodes)$/, (r) => r.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ title: 'the cluster cannot be reached', status: 503 }) }))
  await login(page, 'en')
  await page.goto('/node')
  await expect(page.getByTestId('load-error')).toContainText('the cluster cannot be reached')
  await page.goto('/cluster-resource')
  await expect(page.getByTestId('load-error')).toContainText('the cluster cannot be reached')
  await snap(page, 'en', 'resource-error')
})

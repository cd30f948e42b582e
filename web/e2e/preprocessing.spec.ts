import { expect, test } from '@playwright/test'
import { field, login, shot, token } from './helpers'
import { JobsMock } from './jobsMock'

// The preprocessing screens: definitions (PUT before a run, PATCH after)
// and their runs per data. The job API is played by JobsMock (see
// training.spec.ts); the data picked for a run are real.

for (const lang of ['ja', 'en'] as const) {
  test(`preprocessing: create, run on a data, follow its log, edit when locked (${lang})`, async ({ page, request }) => {
    const m = new JobsMock()
    await m.install(page)
    await login(page, lang)
    const tok = await token(page)
    const dataName = `pre-input-${lang}-${Date.now()}`
    const d = await request.post('/api/v2/data', { headers: { Authorization: `Bearer ${tok}` }, data: { name: dataName, memo: '', tags: [] } })
    const dataId = (await d.json()).id as number

    await page.goto('/preprocess')
    await expect(page).toHaveURL(/\/preprocessing$/)
    await expect(page.getByTestId('pre-table')).toBeVisible()
    await shot(page, lang, 'preprocessing-list-empty')
    await page.getByTestId('pre-create').click()

    // The name becomes a tag: the tag rule is checked before sending.
    await field(page, 'pre-name').fill('!resize')
    await page.getByTestId('pre-save').click()
    await expect(page.locator('.el-form-item__error')).toBeVisible()
    expect(m.last('POST', '/preprocessings')).toBeUndefined()

    await field(page, 'pre-name').fill('resize')
    await field(page, 'pre-image').fill('python')
    await field(page, 'pre-image-tag').fill('3.12')
    await field(page, 'pre-owner').fill('team')
    await field(page, 'pre-repository').fill('prep')
    await field(page, 'pre-entry-point').fill('python resize.py')
    await shot(page, lang, 'preprocessing-create')
    await page.getByTestId('pre-save').click()
    await expect(page).toHaveURL(/\/preprocessing\/\d+$/)
    expect(m.last('POST', '/preprocessings')?.body).toMatchObject({
      name: 'resize', entryPoint: 'python resize.py', containerImage: { image: 'python', tag: '3.12' }, gitModel: { owner: 'team', repository: 'prep' },
    })

    await page.getByTestId('pre-run').click()
    await page.getByTestId('pre-run-data').click()
    await field(page, 'pre-run-data').fill(dataName)
    await page.locator('.el-select-dropdown__item', { hasText: dataName }).click()
    await shot(page, lang, 'preprocessing-run-dialog')
    await page.getByTestId('pre-run-submit').click()
    expect(m.last('POST', `/preprocessings/${m.preprocesses[0]?.id}/run`)?.body).toMatchObject({ dataId, cpu: 1, memory: 1, gpu: 0 })

    // The run opens with its log.
    await expect(page.getByTestId('pre-log')).toContainText('writing output/a')
    await expect(page.getByTestId('pre-log-state')).toHaveAttribute('data-state', 'ended')
    await shot(page, lang, 'preprocessing-history-log')
    await page.keyboard.press('Escape')
    await expect(page.getByTestId(`pre-history-status-${dataId}`)).toHaveText('Completed')
    await shot(page, lang, 'preprocessing-detail')

    // It ran: edit only sends what may change (PATCH).
    await page.getByTestId('pre-edit').click()
    await expect(page.getByTestId('pre-locked')).toBeVisible()
    await field(page, 'pre-memo').fill('halves the images')
    await shot(page, lang, 'preprocessing-edit-locked')
    await page.getByTestId('pre-save').click()
    await expect(page).toHaveURL(/\/preprocessing\/\d+$/)
    const patch = m.sent.filter((s) => s.method === 'PATCH').pop()
    expect(patch?.body).toEqual({ name: 'resize', memo: 'halves the images', cpu: 1, memory: 1, gpu: 0 })
    expect(m.sent.some((s) => s.method === 'PUT')).toBe(false)

    await page.goto('/preprocessing')
    await expect(page.getByTestId('pre-total')).toContainText('1')
    await shot(page, lang, 'preprocessing-list')
  })
}

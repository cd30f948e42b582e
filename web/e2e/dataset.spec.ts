import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { login, shot, token } from './helpers'

// The dataset screens: build a dataset from data picked into training and
// testing, its path pairs, a copy, an edit, delete. (There is no API to
// lock a dataset yet, so the locked banner is not exercised here.)

/** createData makes a data with files through the API and returns its id. */
async function createData(request: APIRequestContext, tok: string, name: string, tags: string[], files: Record<string, string>) {
  const headers = { Authorization: `Bearer ${tok}` }
  const d = await request.post('/api/v2/data', { headers, data: { name, memo: '', tags } })
  expect(d.status()).toBe(201)
  const id = (await d.json()).id as number
  const reg: { fileName: string; storedPath: string }[] = []
  for (const [fileName, body] of Object.entries(files)) {
    const u = await request.post(`/api/v2/upload/stream?type=Data&fileName=${encodeURIComponent(fileName.split('/').pop() ?? fileName)}`, {
      headers: { ...headers, 'Content-Type': 'application/octet-stream' },
      data: Buffer.from(body),
    })
    expect(u.status()).toBe(201)
    reg.push({ fileName, storedPath: (await u.json()).storedPath })
  }
  expect((await request.post(`/api/v2/data/${id}/files`, { headers, data: { files: reg } })).status()).toBe(201)
  return id
}

async function pick(page: Page, search: string) {
  await page.getByTestId('picker-name').fill(search)
  await page.getByTestId('picker-search').click()
}

async function confirmDialog(page: Page) {
  const box = page.locator('.el-message-box')
  await expect(box).toBeVisible()
  await box.locator('.el-button--danger, .el-button--primary').last().click()
  await expect(box).toBeHidden()
}

test.describe('datasets', () => {
  test('build a dataset with training and testing data, path pairs, copy, edit, delete', async ({ page, request }) => {
    await login(page, 'en')
    const tok = await token(page)
    const run = `e2e${Date.now()}`
    const trainName = `${run}-train`
    const testName = `${run}-test`
    const valName = `${run}-val`
    const trainId = await createData(request, tok, trainName, ['e2e-ds'], { 'a.txt': 'train a\n', 'imgs/b.txt': 'train b\n' })
    const testId = await createData(request, tok, testName, ['e2e-ds'], { 'c.txt': 'test c\n' })
    await createData(request, tok, valName, ['e2e-ds'], { 'd.txt': 'val d\n' })

    await page.goto('/dataset')
    await page.getByTestId('dataset-create').click()
    await expect(page).toHaveURL(/\/dataset\/create$/)
    const dsName = `${run}-dataset`
    await page.getByTestId('dataset-name').fill(dsName)
    await page.getByTestId('dataset-memo').fill('two data: one for training, one for testing')
    await pick(page, run)
    await page.getByTestId(`picker-add-training-${trainName}`).click()
    await page.getByTestId(`picker-add-testing-${testName}`).click()
    await expect(page.getByTestId('area-count-training')).toHaveText('1')
    await expect(page.getByTestId('area-count-testing')).toHaveText('1')
    await expect(page.getByTestId('area-count-validation')).toHaveText('0')
    await expect(page.getByTestId(`entry-training-${trainName}`)).toBeVisible()
    // A data already in the dataset cannot be added twice.
    await expect(page.getByTestId(`picker-row-${trainName}`).locator('xpath=ancestor::tr')).toContainText('Added')
    await page.getByTestId('dataset-save').click()

    // Detail: entries per type and the path pairs.
    await expect(page).toHaveURL(/\/dataset\/\d+$/)
    const dsId = Number(/\/dataset\/(\d+)$/.exec(page.url())?.[1])
    await expect(page.getByTestId('dataset-detail-name')).toHaveText(dsName)
    await expect(page.getByTestId('detail-area-training')).toContainText(trainName)
    await expect(page.getByTestId('detail-area-testing')).toContainText(testName)
    await expect(page.getByTestId('dataset-detail-lock')).toContainText('Editable')
    await page.getByTestId('dataset-pairs').getByText('Path pairs').click()
    const pairs = page.getByTestId('dataset-pairs-table')
    await expect(pairs).toContainText(`training/${trainId}/a.txt`)
    await expect(pairs).toContainText(`training/${trainId}/imgs/b.txt`)
    await expect(pairs).toContainText(`testing/${testId}/c.txt`)

    // The list shows it, with its lock state.
    await page.goto('/dataset')
    await page.getByTestId('dataset-filter-name').fill(run)
    await page.getByTestId('dataset-search').click()
    await expect(page.getByTestId(`dataset-row-${dsId}`)).toBeVisible()
    await expect(page.getByTestId(`dataset-lock-${dsId}`)).toContainText('Editable')

    // Copy: prefilled with a new name; drop the testing data, add a validation one.
    await page.getByTestId(`dataset-copy-${dsId}`).click()
    await expect(page).toHaveURL(new RegExp(`/dataset/create/${dsId}$`))
    await expect(page.getByTestId('dataset-name')).toHaveValue(`Copy of ${dsName}`)
    await expect(page.getByTestId(`entry-training-${trainName}`)).toBeVisible()
    await expect(page.getByTestId(`entry-testing-${testName}`)).toBeVisible()
    const copyName = `${run}-copy`
    await page.getByTestId('dataset-name').fill(copyName)
    await page.getByTestId(`entry-remove-testing-${testName}`).click()
    await pick(page, valName)
    await page.getByTestId(`picker-add-validation-${valName}`).click()
    await page.getByTestId('dataset-save').click()
    await expect(page).toHaveURL(/\/dataset\/\d+$/)
    const copyId = Number(/\/dataset\/(\d+)$/.exec(page.url())?.[1])
    expect(copyId).not.toBe(dsId)
    await expect(page.getByTestId('dataset-detail-name')).toHaveText(copyName)
    await expect(page.getByTestId('detail-area-training')).toContainText(trainName)
    await expect(page.getByTestId('detail-area-validation')).toContainText(valName)
    await expect(page.getByTestId('detail-area-testing')).not.toContainText(testName)

    // Edit the copy: move the data around (PUT) and rename.
    await page.getByTestId('dataset-edit').click()
    await expect(page).toHaveURL(new RegExp(`/dataset/edit/${copyId}$`))
    await expect(page.getByTestId('dataset-locked-banner')).toHaveCount(0)
    await page.getByTestId(`entry-remove-validation-${valName}`).click()
    await pick(page, testName)
    await page.getByTestId(`picker-add-testing-${testName}`).click()
    await page.getByTestId('dataset-name').fill(`${copyName}-edited`)
    await page.getByTestId('dataset-save').click()
    await expect(page).toHaveURL(new RegExp(`/dataset/${copyId}$`))
    await expect(page.getByTestId('dataset-detail-name')).toHaveText(`${copyName}-edited`)
    await expect(page.getByTestId('detail-area-testing')).toContainText(testName)
    await expect(page.getByTestId('detail-area-validation')).not.toContainText(valName)

    // The original is unchanged.
    await page.goto(`/dataset/${dsId}`)
    await expect(page.getByTestId('detail-area-testing')).toContainText(testName)

    // Delete the copy.
    await page.goto(`/dataset/${copyId}`)
    await page.getByTestId('dataset-delete').click()
    await confirmDialog(page)
    await expect(page).toHaveURL(/\/dataset$/)
    await page.goto(`/dataset/${copyId}`)
    await expect(page.getByTestId('dataset-load-error')).toBeVisible()
  })

  test('a flat dataset lays its data out without types', async ({ page, request }) => {
    await login(page, 'en')
    const tok = await token(page)
    const run = `flat${Date.now()}`
    const id = await createData(request, tok, `${run}-data`, [], { 'x.txt': 'x\n' })
    await page.goto('/dataset/create')
    await page.getByTestId('dataset-name').fill(`${run}-dataset`)
    await page.getByTestId('dataset-flat').click()
    await expect(page.getByTestId('area-flat')).toBeVisible()
    await expect(page.getByTestId('area-training')).toHaveCount(0)
    await pick(page, run)
    await page.getByTestId(`picker-add-flat-${run}-data`).click()
    await page.getByTestId('dataset-save').click()
    await expect(page).toHaveURL(/\/dataset\/\d+$/)
    await expect(page.getByTestId('detail-area-flat')).toContainText(`${run}-data`)
    await page.getByTestId('dataset-pairs').getByText('Path pairs').click()
    await expect(page.getByTestId('dataset-pairs-table')).toContainText(`${id}/x.txt`)
    await expect(page.getByTestId('dataset-pairs-table')).not.toContainText(`training/${id}`)
  })

  for (const lang of ['ja', 'en'] as const) {
    test(`dataset screens in ${lang}`, async ({ page, request }) => {
      await login(page, lang)
      const tok = await token(page)
      const run = `${lang}${Date.now()}`
      const names = lang === 'ja' ? ['猫の画像', '犬の画像', '評価用'] : ['cat images', 'dog images', 'evaluation']
      const ids: number[] = []
      for (const [i, n] of names.entries()) {
        ids.push(await createData(request, tok, `${n} ${run}`, ['shots'], { [`img${i}/a.txt`]: `${n}\n`, 'labels.csv': 'a,1\n' }))
      }
      const headers = { Authorization: `Bearer ${tok}` }
      const ds = await request.post('/api/v2/datasets', {
        headers,
        data: {
          name: lang === 'ja' ? `動物分類 ${run}` : `animals ${run}`,
          memo: lang === 'ja' ? '猫と犬の分類用' : 'cats and dogs',
          isFlat: false,
          entries: { training: [{ id: ids[0] }, { id: ids[1] }], testing: [{ id: ids[2] }], validation: [] },
        },
      })
      expect(ds.status()).toBe(201)
      const dsId = (await ds.json()).id as number

      await page.goto('/dataset')
      await expect(page.getByTestId(`dataset-lock-${dsId}`)).not.toContainText('…')
      await shot(page, lang, 'dataset-list')

      await page.goto(`/dataset/${dsId}`)
      await page.getByTestId('dataset-pairs').locator('.el-collapse-item__header').click()
      await expect(page.getByTestId('dataset-pairs-table')).toContainText(`training/${ids[0]}/labels.csv`)
      await shot(page, lang, 'dataset-detail')

      await page.goto(`/dataset/edit/${dsId}`)
      await expect(page.getByTestId('area-count-training')).toHaveText('2')
      await shot(page, lang, 'dataset-edit')

      await page.goto(`/dataset/create/${dsId}`)
      await expect(page.getByTestId('area-count-testing')).toHaveText('1')
      await shot(page, lang, 'dataset-copy')

      await page.goto('/dataset/create')
      await pick(page, run)
      await expect(page.getByTestId('data-picker').locator('tbody tr')).toHaveCount(3)
      await shot(page, lang, 'dataset-create')
    })
  }
})

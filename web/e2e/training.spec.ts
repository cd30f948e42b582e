import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { field, login, shot, token } from './helpers'
import { job, JobsMock } from './jobsMock'

// The training and inference screens. The binary under test has no runner
// wired yet, so the job API is played by JobsMock in the browser (data and
// datasets stay real); jobs-live.spec.ts runs a real training once the
// server has one.

/** aDataset makes a flat dataset of one data through the real API. */
async function aDataset(request: APIRequestContext, tok: string, name: string): Promise<number> {
  const headers = { Authorization: `Bearer ${tok}` }
  const d = await request.post('/api/v2/data', { headers, data: { name: `${name}-data`, memo: '', tags: [] } })
  expect(d.status()).toBe(201)
  const ds = await request.post('/api/v2/datasets', { headers, data: { name, memo: '', isFlat: true, entries: {}, flatEntries: [{ id: (await d.json()).id }] } })
  expect(ds.status()).toBe(201)
  return (await ds.json()).id as number
}

function mockWith(n: number): JobsMock {
  const m = new JobsMock()
  const statuses = ['Completed', 'Running', 'Pending', 'Killed', 'UserCanceled', 'OOMKilled', 'Failed', 'Error']
  for (let i = 1; i <= n; i++) {
    m.jobs.push(job(i, 'training', `resnet-${i}`, statuses[i % statuses.length], { tags: i % 3 === 0 ? ['baseline'] : [], favorite: i === n }))
  }
  return m
}

async function confirmBox(page: Page) {
  const box = page.locator('.el-message-box')
  await expect(box).toBeVisible()
  await box.locator('.el-button--danger, .el-button--primary').last().click()
}

for (const lang of ['ja', 'en'] as const) {
  test(`training list, run form and details (${lang})`, async ({ page }) => {
    const m = mockWith(45)
    m.jobs.push(job(46, 'training', 'finished-model', 'Completed', { log: 'loading /kqi/input\nepoch 1 loss=0.9\nepoch 2 loss=0.4\nsaved /kqi/output/model.txt\n', memo: 'the best so far', tags: ['baseline'], parents: [3] }))
    await m.install(page)
    await login(page, lang)

    await page.goto('/training')
    await expect(page.getByTestId('job-total')).toContainText('46')
    await expect(page.getByTestId('job-status-46')).toHaveText('Completed')
    await expect(page.getByTestId('job-status-41')).toHaveAttribute('data-status', 'Running')
    await shot(page, lang, 'training-list')

    await page.goto('/training/run')
    await expect(page.getByTestId('run-title')).toBeVisible()
    await shot(page, lang, 'training-run')

    await page.goto('/training/46')
    await expect(page.getByTestId('job-log-state')).toHaveAttribute('data-state', 'ended')
    await expect(page.getByTestId('job-log')).toContainText('epoch 2 loss=0.4')
    await shot(page, lang, 'training-detail')
  })
}

test('the training list filters, pages, stars, tags and searches', async ({ page }) => {
  const m = mockWith(45)
  await m.install(page)
  await login(page, 'en')
  await page.goto('/training')
  await expect(page.getByTestId('job-total')).toContainText('45')
  await expect(page.getByTestId('job-table').locator('tbody tr')).toHaveCount(20)
  expect(m.last('GET', '/training')?.query.get('perPage')).toBe('20')

  // Page 3 holds the last 5; the page is in the address.
  await page.locator('.el-pager li', { hasText: '3' }).click()
  await expect(page).toHaveURL(/page=3/)
  await expect(page.getByTestId('job-table').locator('tbody tr')).toHaveCount(5)

  // A filter goes to the server and into the address.
  await page.getByTestId('job-filter-name').fill('resnet-1')
  await page.getByTestId('job-search').click()
  await expect(page).toHaveURL(/name=resnet-1/)
  await expect(page.getByTestId('job-total')).toContainText('11')
  expect(m.last('GET', '/training')?.query.get('Name')).toBe('resnet-1')

  // Favorite: a star toggles with PUT {favorite}.
  await page.getByTestId('job-fav-12').click()
  await expect.poll(() => m.last('PUT', '/training/12')?.body).toEqual({ favorite: true })
  await expect(page.getByTestId('job-fav-12')).toHaveAttribute('aria-pressed', 'true')

  // Tags on the selected rows.
  await page.getByTestId('job-table').locator('tbody tr').nth(0).locator('.el-checkbox').click()
  await page.getByTestId('job-table').locator('tbody tr').nth(1).locator('.el-checkbox').click()
  await page.getByTestId('job-tags-add').click()
  await field(page, 'job-tags-input').fill('sweep-a')
  await page.keyboard.press('Enter')
  await page.getByTestId('job-tags-dialog').getByText('For: 19, 18').click() // closes the tag list
  await page.getByTestId('job-tags-apply').click()
  await expect.poll(() => m.last('POST', '/training/tags')?.body).toEqual({ id: [19, 18], tags: ['sweep-a'] })
  await expect(page.getByTestId('job-table')).toContainText('sweep-a')

  // Advanced search with an OR field, saved and loaded again.
  await page.getByTestId('job-filter-clear').click()
  await page.getByTestId('job-advanced').click()
  await field(page, 'search-name').fill('resnet-4 resnet-7')
  await page.getByTestId('search-name-or').click()
  await field(page, 'search-save-name').fill('two runs')
  await page.getByTestId('search-save').click()
  await expect.poll(() => m.searches.map((s) => s.name)).toEqual(['two runs'])
  expect(m.searches[0]?.searchDetail).toEqual({ name: 'resnet-4 resnet-7', nameOr: true })
  await shot(page, 'en', 'training-search-dialog')
  await page.getByTestId('search-run').click()
  await expect(page.getByTestId('job-advanced-banner')).toContainText('resnet-4 resnet-7')
  const sent = m.last('GET', '/training/search')
  expect(sent?.query.get('name')).toBe('resnet-4 resnet-7')
  expect(sent?.query.get('nameOr')).toBe('true')
  // resnet-4, resnet-40 … resnet-45 and resnet-7
  await expect(page.getByTestId('job-total')).toContainText('8')
})

test('the run form checks its fields, shows the server\'s refusal and starts a run', async ({ page, request }) => {
  const m = mockWith(3)
  await m.install(page)
  await login(page, 'en')
  const dsName = `run-ds-${Date.now()}`
  await aDataset(request, await token(page), dsName)

  await page.goto('/training/run')
  await page.getByTestId('run-submit').click()
  await expect(page.getByText('Name is required')).toBeVisible()
  await expect(page.getByText('Enter an image and a tag')).toBeVisible()
  await expect(page.getByText('Enter a repository')).toBeVisible()
  await expect(page.getByText('Command is required')).toBeVisible()
  await expect(page.getByText('Dataset is required')).toBeVisible()
  expect(m.last('POST', '/training/run')).toBeUndefined()

  // An environment variable name the server would refuse.
  await page.getByTestId('run-env-add').click()
  await field(page, 'run-env-key-0').fill('1BAD')
  await field(page, 'run-env-key-0').blur()
  await expect(page.getByText('The variable name "1BAD" is not allowed')).toBeVisible()
  await field(page, 'run-env-key-0').fill('EPOCHS')
  await field(page, 'run-env-value-0').fill('2')

  await field(page, 'run-name').fill('refuse me')
  await page.getByTestId('run-dataset').click()
  await page.locator('.el-select-dropdown__item', { hasText: dsName }).click()
  await field(page, 'run-image').fill('python')
  await field(page, 'run-image-tag').fill('3.12')
  await field(page, 'run-owner').fill('team')
  await field(page, 'run-repository').fill('models')
  await field(page, 'run-entry-point').fill('python train.py')
  await page.getByTestId('run-parents').click()
  await page.locator('.el-select-dropdown__item', { hasText: '2: resnet-2' }).click()
  await page.keyboard.press('Escape')
  await field(page, 'run-tags').fill('sweep')
  await page.keyboard.press('Enter')
  await page.getByTestId('run-submit').click()
  await expect(page.getByTestId('run-error')).toContainText('cpu 300 is more than the tenant quota of 8')
  await shot(page, 'en', 'training-run-refused')

  await field(page, 'run-name').fill('mnist-cnn')
  await page.getByTestId('run-submit').click()
  await expect(page).toHaveURL(/\/training\/\d+$/)
  const b = m.last('POST', '/training/run')?.body ?? {}
  expect(b).toMatchObject({
    name: 'mnist-cnn', containerImage: { registryId: 1, image: 'python', tag: '3.12' },
    gitModel: { gitId: expect.any(Number), owner: 'team', repository: 'models' }, entryPoint: 'python train.py',
    options: { EPOCHS: '2' }, parentIds: [2], tags: ['sweep'], cpu: 1, memory: 1, gpu: 0, zip: true,
  })
  await expect(page.getByTestId('job-detail-status')).toHaveText('Pending')
})

test('details: live log, output, attached files, events, edit, stop, copy-run, delete refused', async ({ page }) => {
  const m = mockWith(3)
  m.jobs.push(job(10, 'training', 'long-run', 'Running', { log: Array.from({ length: 400 }, (_, i) => `step ${i}\n`).join('') }))
  m.jobs.push(job(11, 'training', 'done', 'Completed', { parents: [10] }))
  m.inUse.add(10)
  await m.install(page)
  await login(page, 'en')

  await page.goto('/training/10')
  await expect(page.getByTestId('job-detail-status')).toHaveText('Running')
  await expect(page.getByTestId('job-log')).toContainText('step 399')
  // Scrolled to the end as lines came in.
  const atEnd = await page.getByTestId('job-log').evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 30)
  expect(atEnd).toBe(true)

  await page.getByRole('tab', { name: 'Output files' }).click()
  await expect(page.getByTestId('output-file-model.txt')).toHaveAttribute('href', '/mock/model.txt')
  await page.getByTestId('output-dir-checkpoints').click()
  await expect(page.getByTestId('output-file-epoch-1.ckpt')).toBeVisible()
  expect(m.last('GET', '/training/10/container-files')?.query.get('path')).toBe('checkpoints/')
  await shot(page, 'en', 'training-detail-output')

  await page.getByRole('tab', { name: 'Attached files' }).click()
  await expect(page.getByTestId('attached-training_stdout_stderr.log')).toBeVisible()
  await page.getByRole('tab', { name: 'Events' }).click()
  await expect(page.getByTestId('job-events')).toContainText('the command started')

  await page.getByTestId('job-edit').click()
  await field(page, 'job-edit-memo').fill('lr=0.01')
  await page.getByTestId('job-edit-save').click()
  await expect(page.getByTestId('job-memo')).toHaveText('lr=0.01')

  await page.getByTestId('job-stop').click()
  await confirmBox(page)
  await expect(page.getByTestId('job-detail-status')).toHaveText('UserCanceled')
  expect(m.last('POST', '/training/10/user-cancel')).toBeTruthy()

  await page.getByTestId('job-delete').click()
  await confirmBox(page)
  await expect(page.locator('.el-message--error')).toContainText('is used by training 40')

  await page.getByTestId('job-copy-run').click()
  await expect(page).toHaveURL(/\/training\/run\/10$/)
  await expect(field(page, 'run-name')).toHaveValue('long-run')
  await expect(field(page, 'run-image')).toHaveValue('python')
  await expect(field(page, 'run-repository')).toHaveValue('models')
  await expect(field(page, 'run-env-key-0')).toHaveValue('EPOCHS')
})

for (const lang of ['ja', 'en'] as const) {
  test(`inference list shows the output value, details and run form (${lang})`, async ({ page }) => {
    const m = new JobsMock()
    m.jobs.push(job(1, 'training', 'trained', 'Completed'))
    m.jobs.push(job(2, 'inference', 'eval-1', 'Completed', { outputValue: '0.9731', parents: [1] }))
    m.jobs.push(job(3, 'inference', 'eval-2', 'Pending'))
    await m.install(page)
    await login(page, lang)
    await page.goto('/inference')
    await expect(page.getByTestId('job-output-2')).toHaveText('0.9731')
    await expect(page.getByTestId('job-status-3')).toHaveText('Pending')
    await shot(page, lang, 'inference-list')
    await page.goto('/inference/2')
    await expect(page.getByTestId('job-output-value')).toHaveText('0.9731')
    await shot(page, lang, 'inference-detail')
    await page.goto('/inference/run')
    await expect(page.getByTestId('run-parent-inferences')).toBeVisible()
    await shot(page, lang, 'inference-run')
  })
}

test('the job screens show a load failure with retry', async ({ page }) => {
  await login(page, 'en')
  await page.route(/\/api\/v2\/training(\?|$)/, (r) => r.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ title: 'the runner cannot report its nodes', status: 503 }) }))
  await page.goto('/training')
  await expect(page.getByTestId('job-list-error')).toContainText('the runner cannot report its nodes')
})

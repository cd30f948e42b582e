import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { expect, test, type APIRequestContext } from '@playwright/test'
import { field, login, shot, token } from './helpers'

// A real training on the local runner, through the console: code in a git
// repository on this machine (a file:// git endpoint), a dataset of an
// uploaded data, the run form, the live log as the job prints, Completed,
// an output file downloaded, and a copy of the run. Skipped when the
// server has no runner (its job routes answer 500) or git is missing.
const dataDir = process.env.KQI_E2E_DIR ?? '/tmp/kqi-e2e'
const gitBase = `${dataDir}-git`

const trainSh = `#!/bin/sh
echo "input: $(cd "$KQI_INPUT_DIR" && find . -name '*.csv')"
for i in 1 2 3 4 5 6; do echo "epoch $i loss=0.$((9 - i))"; sleep 0.5; done
echo "accuracy 0.97" > "$KQI_OUTPUT_DIR/result.txt"
echo "training done"
`

// A preprocessing that turns its input into two data (one per sub-directory).
const prepSh = `#!/bin/sh
for part in left right; do mkdir -p "$KQI_OUTPUT_DIR/$part"; cp "$KQI_INPUT_DIR/$DATA_ID/labels.csv" "$KQI_OUTPUT_DIR/$part/"; done
echo "split $DATA_NAME"
`

function makeRepo() {
  const dir = `${gitBase}/team/model`
  rmSync(gitBase, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}/train.sh`, trainSh)
  writeFileSync(`${dir}/prep.sh`, prepSh)
  const git = (...args: string[]) => execFileSync('/usr/bin/git', ['-C', dir, ...args], { stdio: 'pipe' })
  git('init', '-q', '-b', 'main')
  git('add', 'train.sh', 'prep.sh')
  git('-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', 'commit', '-q', '-m', 'a training that prints slowly')
}

async function setup(request: APIRequestContext, tok: string, run: string) {
  const headers = { Authorization: `Bearer ${tok}` }
  const post = async (path: string, data: unknown) => {
    const r = await request.post(path, { headers, data })
    expect(r.ok(), `${path}: ${await r.text()}`).toBe(true)
    return r.json()
  }
  const g = await post('/api/v2/admin/git/endpoints', { name: `local-${run}`, serviceType: 5, apiUrl: `file://${gitBase}`, repositoryUrl: `file://${gitBase}` })
  const t = await request.put('/api/v2/admin/tenants/1', {
    headers,
    data: { displayName: 'sandbox', gitIds: [1, g.id], defaultGitId: g.id, registryIds: [1], defaultRegistryId: 1, storageId: 1 },
  })
  expect(t.ok(), await t.text()).toBe(true)
  const d = await post('/api/v2/data', { name: `${run}-images`, memo: '', tags: [] })
  const u = await request.post('/api/v2/upload/stream?type=Data&fileName=labels.csv', {
    headers: { ...headers, 'Content-Type': 'application/octet-stream' },
    data: Buffer.from('id,label\n1,cat\n'),
  })
  expect(u.status()).toBe(201)
  await post(`/api/v2/data/${d.id}/files`, { files: [{ fileName: 'labels.csv', storedPath: (await u.json()).storedPath }] })
  const ds = await post('/api/v2/datasets', { name: `${run}-set`, memo: '', isFlat: true, entries: {}, flatEntries: [{ id: d.id }] })
  return { dataset: `${ds.id}: ${run}-set`, dataName: `${run}-images` }
}

test('a real training: run form, live log, Completed, output download, copy-run', async ({ page, request }) => {
  test.setTimeout(180_000)
  await login(page, 'en')
  const tok = await token(page)
  const probe = await request.get('/api/v2/training', { headers: { Authorization: `Bearer ${tok}` } })
  test.skip(probe.status() === 500 || !existsSync('/usr/bin/git'), 'the server has no runner, or git is missing')
  makeRepo()
  const run = `live${Date.now()}`
  const { dataset, dataName } = await setup(request, tok, run)

  await page.goto('/training/run')
  await field(page, 'run-name').fill(`${run}-mnist`)
  await page.getByTestId('run-dataset').click()
  await page.locator('.el-select-dropdown__item', { hasText: dataset }).click()
  await field(page, 'run-image').fill('busybox')
  await field(page, 'run-image-tag').fill('1')
  await field(page, 'run-owner').fill('team')
  await field(page, 'run-repository').fill('model')
  // The branch picker asks the git endpoint.
  await field(page, 'run-branch').click()
  await page.locator('.el-autocomplete-suggestion li', { hasText: 'main' }).first().click()
  await expect(field(page, 'run-branch')).toHaveValue('main')
  await field(page, 'run-entry-point').fill('sh train.sh')
  await page.getByTestId('run-cpu').locator('input').fill('0')
  await page.getByTestId('run-memory').locator('input').fill('0')
  await page.getByTestId('run-submit').click()
  await expect(page).toHaveURL(/\/training\/\d+$/)
  const id = Number(new URL(page.url()).pathname.split('/').pop())

  // The log shows lines while the job runs, then the job ends Completed.
  await expect(page.getByTestId('job-log')).toContainText('epoch 2', { timeout: 60_000 })
  await expect(page.getByTestId('job-log-state')).toHaveAttribute('data-state', 'streaming')
  await shot(page, 'en', 'training-live-running')
  await expect(page.getByTestId('job-log')).toContainText('training done', { timeout: 60_000 })
  await expect(page.getByTestId('job-log')).toContainText(/input: \.\/\d+\/labels\.csv/)
  await expect(page.getByTestId('job-detail-status')).toHaveText('Completed', { timeout: 30_000 })
  await expect(page.getByTestId('job-exit-code')).toHaveText('0')
  await expect(page.getByTestId('job-commit')).toHaveText(/^[0-9a-f]{40}$/)
  await shot(page, 'en', 'training-live-completed')

  await page.getByRole('tab', { name: 'Output files' }).click()
  const download = page.waitForEvent('download')
  await page.getByTestId('output-file-result.txt').click()
  const file = await (await download).path()
  expect(readFileSync(file, 'utf8')).toBe('accuracy 0.97\n')

  // An inference of this training starts from its data, code and image,
  // reads its output as parent, and shows its value.
  await page.getByTestId('job-infer').click()
  await expect(page).toHaveURL(new RegExp(`/inference/run\\?parent=${id}$`))
  await expect(field(page, 'run-repository')).toHaveValue('model')
  await field(page, 'run-entry-point').fill('cat "$KQI_PARENT_DIR/result.txt" > "$KQI_OUTPUT_DIR/value.txt"')
  await page.getByTestId('run-submit').click()
  await expect(page).toHaveURL(/\/inference\/\d+$/)
  await expect(page.getByTestId('job-detail-status')).toHaveText('Completed', { timeout: 60_000 })
  await expect(page.getByTestId('job-output-value')).toHaveText('accuracy 0.97')
  await shot(page, 'en', 'inference-live-completed')
  await page.goto(`/training/${id}`)

  // Copy-run: the form comes prefilled; the copy runs too.
  await page.getByTestId('job-copy-run').click()
  await expect(page).toHaveURL(new RegExp(`/training/run/${id}$`))
  await expect(field(page, 'run-repository')).toHaveValue('model')
  await expect(field(page, 'run-entry-point')).toHaveValue('sh train.sh')
  await field(page, 'run-name').fill(`${run}-again`)
  await page.getByTestId('run-submit').click()
  await expect(page).toHaveURL(/\/training\/\d+$/)
  expect(page.url()).not.toMatch(new RegExp(`/training/${id}$`))
  await expect(page.getByTestId('job-detail-status')).toHaveText('Completed', { timeout: 60_000 })
  await expect(page.getByTestId('job-log')).toContainText('training done')

  await page.goto('/training')
  await expect(page.getByTestId(`job-status-${id}`)).toHaveText('Completed')
})

test('a real preprocessing: each output sub-directory becomes a data', async ({ page, request }) => {
  test.setTimeout(120_000)
  await login(page, 'en')
  const tok = await token(page)
  const probe = await request.get('/api/v2/preprocessings', { headers: { Authorization: `Bearer ${tok}` } })
  test.skip(probe.status() === 500 || !existsSync('/usr/bin/git'), 'the server has no runner, or git is missing')
  makeRepo()
  const run = `prep${Date.now()}`
  const { dataName } = await setup(request, tok, run)

  await page.goto('/preprocessing')
  await page.getByTestId('pre-create').click()
  await field(page, 'pre-name').fill(`${run}-split`)
  await field(page, 'pre-image').fill('busybox')
  await field(page, 'pre-image-tag').fill('1')
  await field(page, 'pre-owner').fill('team')
  await field(page, 'pre-repository').fill('model')
  await field(page, 'pre-branch').fill('main')
  await field(page, 'pre-entry-point').fill('sh prep.sh')
  await page.getByTestId('pre-cpu').locator('input').fill('0')
  await page.getByTestId('pre-memory').locator('input').fill('0')
  await page.getByTestId('pre-save').click()
  await expect(page.getByTestId('pre-detail-title')).toContainText(`${run}-split`)

  await page.getByTestId('pre-run').click()
  await page.getByTestId('pre-run-data').click()
  await field(page, 'pre-run-data').fill(dataName)
  await page.locator('.el-select-dropdown__item', { hasText: dataName }).click()
  await page.getByTestId('pre-run-submit').click()
  await expect(page.getByTestId('pre-log')).toContainText(`split ${dataName}`, { timeout: 60_000 })
  await expect(page.getByTestId('pre-history-status')).toHaveText('Completed', { timeout: 60_000 })
  await page.keyboard.press('Escape')
  const outputs = page.getByTestId('pre-histories').locator('a.out')
  await expect(outputs).toHaveCount(2)
  await shot(page, 'en', 'preprocessing-live-completed')

  // The new data carry the preprocessing's name as a tag.
  await outputs.first().click()
  await expect(page).toHaveURL(/\/data\/\d+$/)
  await expect(page.locator('body')).toContainText(`${run}-split`)
  await expect(page.locator('body')).toContainText('labels.csv')
})

import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { login, shot, token } from './helpers'

// The data screens: create a data from files and a folder with progress,
// list, detail with preview and download, tags, file delete, refusals.

function crc32(buf: Buffer): number {
  let c = ~0
  for (const b of buf) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
  }
  return ~c >>> 0
}

/** png returns a small valid RGB PNG (a colour gradient). */
function png(w = 64, h = 48): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(td))
    return Buffer.concat([len, td, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  const raw = Buffer.alloc((w * 3 + 1) * h)
  for (let y = 0; y < h; y++) {
    const o = y * (w * 3 + 1)
    for (let x = 0; x < w; x++) {
      raw[o + 1 + x * 3] = Math.floor((x * 255) / w)
      raw[o + 2 + x * 3] = Math.floor((y * 255) / h)
      raw[o + 3 + x * 3] = 160
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** fixtures writes the test files: two loose files and a folder with one file. */
function fixtures() {
  const dir = mkdtempSync(join(tmpdir(), 'kqi-data-e2e-'))
  const files = {
    'image.png': png(),
    'notes.txt': Buffer.from('KAMONOHASHI e2e notes\n'.repeat(60)),
    'set/data.bin': Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251)),
  }
  mkdirSync(join(dir, 'set'))
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body)
  writeFileSync(join(dir, 'empty.txt'), '')
  return { dir, files }
}

async function confirmDialog(page: Page) {
  const box = page.locator('.el-message-box')
  await expect(box).toBeVisible()
  await box.locator('.el-button--danger, .el-button--primary').last().click()
  await expect(box).toBeHidden()
}

async function addTag(page: Page, tag: string) {
  const select = page.getByTestId('data-tags')
  await select.click()
  await page.keyboard.type(tag)
  await page.keyboard.press('Enter')
  await page.keyboard.press('Escape')
  await expect(select.locator('.el-tag', { hasText: tag })).toBeVisible()
}

/** createData makes a data with files through the API (for the screenshots). */
async function createData(request: APIRequestContext, tok: string, name: string, files: Record<string, Buffer>) {
  const headers = { Authorization: `Bearer ${tok}` }
  const d = await request.post('/api/v2/data', { headers, data: { name, memo: 'made by the e2e test', tags: ['e2e', 'images'] } })
  expect(d.status()).toBe(201)
  const id = (await d.json()).id as number
  const reg: { fileName: string; storedPath: string }[] = []
  for (const [fileName, body] of Object.entries(files)) {
    const base = fileName.split('/').pop() ?? fileName
    const u = await request.post(`/api/v2/upload/stream?type=Data&fileName=${encodeURIComponent(base)}`, {
      headers: { ...headers, 'Content-Type': 'application/octet-stream' },
      data: body,
    })
    expect(u.status()).toBe(201)
    reg.push({ fileName, storedPath: (await u.json()).storedPath })
  }
  const r = await request.post(`/api/v2/data/${id}/files`, { headers, data: { files: reg } })
  expect(r.status()).toBe(201)
  return id
}

test.describe('data', () => {
  test('create a data with files and a folder, preview, download, tags, delete a file', async ({ page }) => {
    const { dir, files } = fixtures()
    await login(page, 'en')
    await page.goto('/data')
    await expect(page.getByRole('heading', { name: 'Data', exact: true })).toBeVisible()
    await page.getByTestId('data-create').click()
    await expect(page).toHaveURL(/\/data\/create$/)

    const name = `e2e-upload-${Date.now()}`
    await page.getByTestId('data-name').fill(name)
    await page.getByTestId('data-memo').fill('three files, one in a folder')
    await addTag(page, 'cats')

    await page.getByTestId('upload-input-files').setInputFiles([join(dir, 'image.png'), join(dir, 'notes.txt')])
    await page.getByTestId('upload-input-folder').setInputFiles(join(dir, 'set'))
    for (const n of Object.keys(files)) await expect(page.getByTestId(`upload-item-${n}`)).toBeVisible()
    await expect(page.getByTestId('upload-total')).toContainText('3 files')

    // Hold the registration a moment so that the finished progress can be seen.
    let registered = 0
    await page.route('**/api/v2/data/*/files', async (route) => {
      if (route.request().method() === 'POST') {
        registered++
        await new Promise((r) => setTimeout(r, 1500))
      }
      await route.continue()
    })
    await page.getByTestId('data-save').click()
    for (const n of Object.keys(files)) {
      await expect(page.getByTestId(`upload-progress-${n}`)).toHaveAttribute('data-status', 'done')
    }
    await expect(page.getByTestId('upload-total-progress')).toHaveAttribute('data-percent', '100')
    await expect(page.getByTestId('upload-total')).toContainText('3 of 3 done')

    // The detail page lists the files with their sizes.
    await expect(page).toHaveURL(/\/data\/\d+$/)
    expect(registered).toBe(1)
    const id = Number(/\/data\/(\d+)$/.exec(page.url())?.[1])
    await expect(page.getByTestId('data-detail-name')).toHaveText(name)
    for (const [n, body] of Object.entries(files)) {
      await expect(page.getByTestId(`file-name-${n}`)).toBeVisible()
      await expect(page.getByTestId(`file-size-${n}`)).toHaveAttribute('title', `${body.length} B`)
    }
    await expect(page.getByTestId('file-size-set/data.bin')).toHaveText('293.0 KiB')
    await expect(page.getByTestId('data-detail-tags')).toContainText('cats')

    // Image preview: a thumbnail, then the large one in a dialog.
    const thumb = page.getByTestId('file-thumb-image.png').getByTestId('thumb-img')
    await expect(thumb).toBeVisible()
    await page.getByTestId('file-thumb-image.png').click()
    const dialogImg = page.locator('.el-dialog').getByTestId('thumb-img')
    await expect(dialogImg).toBeVisible()
    expect(await dialogImg.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)
    await page.locator('.el-dialog').getByRole('button', { name: 'Close', exact: true }).last().click()
    await expect(page.locator('.el-dialog')).toBeHidden()

    // Download gives back the same bytes.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('file-download-notes.txt').click()])
    expect(dl.suggestedFilename()).toBe('notes.txt')
    const got = readFileSync(await dl.path())
    expect(got.equals(files['notes.txt'])).toBe(true)

    // Tags: edit them on the edit page (PUT), and add one in place on the detail.
    await page.getByTestId('data-edit').click()
    await expect(page).toHaveURL(new RegExp(`/data/edit/${id}$`))
    await expect(page.getByTestId('data-name')).toHaveValue(name)
    await page.getByTestId('data-tags').locator('.el-tag', { hasText: 'cats' }).locator('.el-tag__close').click()
    await addTag(page, 'dogs')
    await page.getByTestId('data-save').click()
    await expect(page).toHaveURL(new RegExp(`/data/${id}$`))
    await expect(page.getByTestId('data-detail-tags')).toContainText('dogs')
    await expect(page.getByTestId('data-detail-tags')).not.toContainText('cats')

    await page.getByTestId('data-tag-add').click()
    await page.getByTestId('data-tag-input').fill('!bad')
    await page.getByTestId('data-tag-input').press('Enter')
    await expect(page.getByTestId('data-tag-error')).toContainText('must not start with')
    await page.getByTestId('data-tag-input').fill('reviewed')
    await page.getByTestId('data-tag-input').press('Enter')
    await expect(page.getByTestId('data-detail-tags')).toContainText('reviewed')

    // Delete a file.
    await page.getByTestId('file-delete-notes.txt').click()
    await confirmDialog(page)
    await expect(page.getByTestId('file-name-notes.txt')).toHaveCount(0)
    await expect(page.getByTestId('file-summary')).toContainText('2 files')
    await page.reload()
    await expect(page.getByTestId('file-name-image.png')).toBeVisible()
    await expect(page.getByTestId('file-name-notes.txt')).toHaveCount(0)

    // The list finds it by name and tag.
    await page.goto('/data')
    await page.getByTestId('data-filter-name').fill(name)
    await page.getByTestId('data-search').click()
    await expect(page.getByTestId(`data-row-${id}`)).toBeVisible()
    await expect(page.getByTestId('data-total')).toContainText('1 in all')
    await page.getByTestId('data-filter-name').fill('no-such-data-name')
    await page.getByTestId('data-search').click()
    await expect(page.getByText('No data matches these conditions')).toBeVisible()
  })

  test('refusals: empty and duplicate files in the browser, the API message when the server refuses', async ({ page }) => {
    const { dir } = fixtures()
    await login(page, 'en')
    await page.goto('/data/create')
    await page.getByTestId('upload-input-files').setInputFiles([join(dir, 'empty.txt'), join(dir, 'notes.txt')])
    await expect(page.getByTestId('upload-refused-empty')).toContainText('Empty files cannot be registered (1): empty.txt')
    await expect(page.getByTestId('upload-item-notes.txt')).toBeVisible()
    await expect(page.getByTestId('upload-item-empty.txt')).toHaveCount(0)
    await page.getByTestId('upload-input-files').setInputFiles([join(dir, 'notes.txt')])
    await expect(page.getByTestId('upload-refused-duplicate')).toContainText('A file with the same name is already there (1): notes.txt')
    await shot(page, 'en', 'data-create-refused')

    // Name required, checked before anything is uploaded.
    await page.getByTestId('data-save').click()
    await expect(page.getByText('Name is required')).toBeVisible()

    // The server refuses the upload (as over its size limit): its message is shown, nothing is created.
    await page.route('**/api/v2/upload/stream**', (route) =>
      route.fulfill({
        status: 413,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'the upload is larger than the 1 KiB allowed', status: 413 }),
      }),
    )
    let created = 0
    await page.route('**/api/v2/data', async (route) => {
      if (route.request().method() === 'POST') created++
      await route.continue()
    })
    await page.getByTestId('data-name').fill(`e2e-refused-${Date.now()}`)
    await page.getByTestId('data-save').click()
    await expect(page.getByTestId('data-save-error')).toContainText('the upload is larger than the 1 KiB allowed')
    await expect(page.getByTestId('upload-progress-notes.txt')).toHaveAttribute('data-status', 'failed')
    expect(created).toBe(0)
    await expect(page).toHaveURL(/\/data\/create$/)
  })

  test('closing the page during an upload leaves no data behind', async ({ page, context, request }) => {
    const { dir } = fixtures()
    await login(page, 'en')
    const tok = await token(page)
    await page.goto('/data/create')
    const name = `e2e-interrupted-${Date.now()}`
    await page.getByTestId('data-name').fill(name)
    await page.getByTestId('upload-input-files').setInputFiles([join(dir, 'image.png'), join(dir, 'notes.txt')])
    // The first file reaches the server; the second is still on its way when the page closes.
    let arrived = 0
    await page.route('**/api/v2/upload/stream**', async (route) => {
      if (arrived++ === 0) return route.continue()
      await new Promise((r) => setTimeout(r, 10_000))
      await route.continue().catch(() => undefined)
    })
    page.on('dialog', (d) => void d.accept()) // the "leave this page?" warning
    await page.getByTestId('data-save').click()
    await expect.poll(() => arrived).toBe(2)
    await page.close({ runBeforeUnload: true })
    await context.close().catch(() => undefined)

    const list = await request.get(`/api/v2/data?Name=${encodeURIComponent(name)}&withTotal=true`, {
      headers: { Authorization: `Bearer ${tok}` },
    })
    expect(list.status()).toBe(200)
    expect(list.headers()['x-total-count']).toBe('0')
  })

  for (const lang of ['ja', 'en'] as const) {
    test(`data screens in ${lang}`, async ({ page, request }) => {
      await login(page, lang)
      const tok = await token(page)
      const id = await createData(request, tok, lang === 'ja' ? `画像サンプル-${Date.now()}` : `image-sample-${Date.now()}`, {
        'image.png': png(96, 64),
        'labels/train.csv': Buffer.from('file,label\nimage.png,1\n'),
        'readme.txt': Buffer.from('sample data\n'),
      })
      await page.goto('/data')
      await expect(page.getByTestId(`data-row-${id}`)).toBeVisible()
      await shot(page, lang, 'data-list')

      await page.goto(`/data/${id}`)
      await expect(page.getByTestId('file-thumb-image.png').getByTestId('thumb-img')).toBeVisible()
      await shot(page, lang, 'data-detail')
      await page.getByTestId('file-thumb-image.png').click()
      await expect(page.locator('.el-dialog').getByTestId('thumb-img')).toBeVisible()
      await shot(page, lang, 'data-preview')

      await page.goto(`/data/edit/${id}`)
      await expect(page.getByTestId('file-name-readme.txt')).toBeVisible()
      await shot(page, lang, 'data-edit')

      const { dir } = fixtures()
      await page.goto('/data/create')
      await page.getByTestId('data-name').fill(lang === 'ja' ? '新しいデータ' : 'New data')
      await page.getByTestId('upload-input-folder').setInputFiles(join(dir, 'set'))
      await page.getByTestId('upload-input-files').setInputFiles([join(dir, 'image.png'), join(dir, 'notes.txt'), join(dir, 'empty.txt')])
      await expect(page.getByTestId('upload-item-set/data.bin')).toBeVisible()
      await expect(page.getByTestId('upload-refused-empty')).toBeVisible()
      await shot(page, lang, 'data-create')
    })
  }
})

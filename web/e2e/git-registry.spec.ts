import { expect, test, type Page } from '@playwright/test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { login, shot } from './helpers'

// Administration of git servers (/git) and container registries
// (/registry), and the tenant form offering what they register.

const stamp = () => Date.now().toString(36)

async function confirmDialog(page: Page, button: string) {
  await page.locator('.el-message-box').getByRole('button', { name: button }).click()
}

/** idOf reads the id of a listed row from its link. */
async function idOf(page: Page, testId: string): Promise<string> {
  const href = await page.getByTestId(testId).getAttribute('href')
  const id = href?.split('/').pop()
  if (!id) throw new Error(`no link on ${testId}`)
  return id
}

test.describe('git servers and registries', () => {
  test('a git server is registered, offered to tenants, edited and deleted', async ({ page }) => {
    const name = `e2e-git-${stamp()}`
    const dir = mkdtempSync(join(tmpdir(), 'kqi-e2e-git-'))
    await login(page, 'en')

    await page.goto('/git')
    await expect(page.getByTestId('git-GitHub')).toBeVisible()
    await page.getByTestId('git-create').click()
    await expect(page).toHaveURL(/\/git\/edit$/)
    await page.getByTestId('git-name').fill(name)
    await page.getByTestId('git-repository-url').fill('ssh://git@git.example.com')
    await page.getByTestId('save').click()
    await expect(page.getByText('Enter a URL starting with http(s):// or file:///')).toBeVisible()
    await page.getByTestId('git-repository-url').fill(`file://${dir}`)
    await page.getByTestId('save').click()
    await expect(page).toHaveURL(/\/git$/)
    const row = page.getByTestId('git-table').locator('tr', { hasText: name })
    await expect(row).toContainText(`file://${dir}`)
    const id = await idOf(page, `git-${name}`)

    // The tenant form offers it beside the built-in ones.
    await page.goto('/tenant/edit/1')
    await expect(page.getByTestId(`tenant-git-${id}`)).toContainText(name)

    await page.goto(`/git/edit/${id}`)
    await expect(page.getByTestId('git-name')).toHaveValue(name)
    await page.getByTestId('git-name').fill(`${name}-2`)
    await page.getByTestId('save').click()
    await expect(page.getByTestId(`git-${name}-2`)).toBeVisible()

    await page.getByTestId(`git-${name}-2`).click()
    await page.getByTestId('delete').click()
    await confirmDialog(page, 'Delete')
    await expect(page).toHaveURL(/\/git$/)
    await expect(page.getByTestId(`git-${name}-2`)).toHaveCount(0)

    // Built-in ones are shown, not edited.
    await page.goto('/git/edit/1')
    await expect(page.getByTestId('git-built-in')).toBeVisible()
    await expect(page.getByTestId('delete')).toHaveCount(0)
  })

  test('a registry is registered under the naming rule, and a second of that name is refused', async ({ page }) => {
    const name = `e2e-reg-${stamp()}`
    await login(page, 'en')
    const fill = async (n: string) => {
      await page.goto('/registry/edit')
      await page.getByTestId('registry-name').fill(n)
      await page.getByTestId('registry-host').fill('registry.example.com')
      await page.getByTestId('registry-port').locator('input').fill('5000')
      await page.getByTestId('registry-api-url').fill('https://registry.example.com')
      await page.getByTestId('registry-url').fill('https://registry.example.com')
      await page.getByTestId('save').click()
    }
    await fill('Bad_Name')
    await expect(page.locator('.el-form-item__error')).toContainText("Up to 63 lower-case letters")
    await fill(name)
    await expect(page).toHaveURL(/\/registry$/)
    await expect(page.getByTestId('registry-table').locator('tr', { hasText: name })).toContainText('registry.example.com:5000')

    await fill(name)
    await expect(page.getByTestId('form-error')).toContainText(`a registry named "${name}" exists already`)

    await page.goto('/registry')
    await page.getByTestId(`registry-${name}`).click()
    await page.getByTestId('delete').click()
    await confirmDialog(page, 'Delete')
    await expect(page).toHaveURL(/\/registry$/)
    await expect(page.getByTestId(`registry-${name}`)).toHaveCount(0)
  })

  for (const lang of ['ja', 'en'] as const) {
    test(`the git and registry screens in ${lang}`, async ({ page }) => {
      await login(page, lang)
      const screens: [string, string, string][] = [
        ['/git', 'git-table', 'gits'],
        ['/git/edit', 'git-name', 'git-create'],
        ['/git/edit/1', 'git-built-in', 'git-edit'],
        ['/registry', 'registry-table', 'registries'],
        ['/registry/edit', 'registry-name', 'registry-create'],
        ['/registry/edit/2', 'registry-built-in', 'registry-edit'],
      ]
      for (const [url, testId, name] of screens) {
        await page.goto(url)
        await expect(page.getByTestId(testId).first()).toBeVisible()
        await expect(page.locator('.el-loading-mask:visible')).toHaveCount(0)
        await shot(page, lang, name)
      }
    })
  }
})

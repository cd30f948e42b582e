import { expect, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { adminPassword } from '../playwright.config'

export { adminPassword }

/** login signs in through the form, in the given language. */
export async function login(page: Page, lang: 'ja' | 'en' = 'en', user = 'admin', password = adminPassword) {
  await page.addInitScript((l) => localStorage.setItem('kqi.lang', l), lang)
  await page.goto('/login')
  await page.getByTestId('login-user').fill(user)
  await page.getByTestId('login-password').fill(password)
  await page.getByTestId('login-submit').click()
  await expect(page.getByTestId('user-menu')).toBeVisible()
}

/** shot saves a screenshot for review under e2e/screenshots/<lang>/<name>.png. */
export async function shot(page: Page, lang: string, name: string) {
  const path = `e2e/screenshots/${lang}/${name}.png`
  mkdirSync(dirname(path), { recursive: true })
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path, fullPage: true })
}

/** token returns the signed-in page's API token, for setting up data through the API. */
export async function token(page: Page): Promise<string> {
  const t = await page.evaluate(() => localStorage.getItem('kqi.token'))
  if (!t) throw new Error('not signed in')
  return t
}

/** field is the text box of a form field: Element Plus puts data-test on the input itself (el-input) or on a wrapper. */
export function field(page: Page, id: string) {
  const q = `[data-test="${id}"]`
  return page.locator(`input${q}, textarea${q}, ${q} input, ${q} textarea`).first()
}

import { expect, test } from '@playwright/test'
import { login, shot } from './helpers'

test.describe('login and the frame', () => {
  test('a wrong password shows the API message and stays on the login page', async ({ page }) => {
    await page.addInitScript(() => localStorage.setItem('kqi.lang', 'en'))
    await page.goto('/login')
    await page.getByTestId('login-user').fill('admin')
    await page.getByTestId('login-password').fill('wrong-password')
    await page.getByTestId('login-submit').click()
    await expect(page.getByTestId('login-error')).toContainText('User name or password is incorrect')
    await shot(page, 'en', 'login-error')
  })

  for (const lang of ['ja', 'en'] as const) {
    test(`login and dashboard in ${lang}`, async ({ page }) => {
      await page.addInitScript((l) => localStorage.setItem('kqi.lang', l), lang)
      await page.goto('/login')
      await shot(page, lang, 'login')
      await login(page, lang)
      await expect(page.getByRole('heading', { name: lang === 'ja' ? 'ダッシュボード' : 'Dashboard' })).toBeVisible()
      await expect(page.getByTestId('card-/data')).toBeVisible()
      await shot(page, lang, 'dashboard')
    })
  }

  test('switching language changes the screen and the side menu', async ({ page }) => {
    await login(page, 'en')
    await expect(page.getByRole('menuitem', { name: 'Data', exact: true })).toBeVisible()
    await page.getByTestId('language').getByText('日本語').click()
    await expect(page.getByRole('heading', { name: 'ダッシュボード' })).toBeVisible()
    await expect(page.getByRole('menuitem', { name: 'データ', exact: true })).toBeVisible()
  })

  test('a page opened without a token returns to it after login', async ({ page }) => {
    await page.addInitScript(() => localStorage.setItem('kqi.lang', 'en'))
    await page.goto('/setting')
    await expect(page).toHaveURL(/\/login\?return_url=(%2F|\/)setting/)
    await page.getByTestId('login-user').fill('admin')
    await page.getByTestId('login-password').fill('e2e-admin-pass')
    await page.getByTestId('login-submit').click()
    await expect(page).toHaveURL(/\/setting$/)
  })

  test('an expired token returns to login and back', async ({ page }) => {
    await login(page, 'en')
    await page.evaluate(() => localStorage.setItem('kqi.token', 'not-a-valid-token'))
    await page.goto('/data')
    await expect(page).toHaveURL(/\/login\?return_url=(%2F|\/)data&timeout=true/)
  })
})

import { expect, test, type APIRequestContext, type Page } from '@playwright/test'
import { adminPassword, login, shot } from './helpers'

// Account settings (/setting). The tests that change a user's name or
// password work on users of their own, created through the API.

async function adminToken(request: APIRequestContext): Promise<string> {
  const r = await request.post('/api/v2/account/login', { data: { userName: 'admin', password: adminPassword } })
  expect(r.ok()).toBeTruthy()
  return (await r.json()).token
}

/** newUser creates a local user in sandbox with the Researcher role. */
async function newUser(request: APIRequestContext, prefix: string, password = 'first-pass-1') {
  const name = `${prefix}-${Date.now().toString(36)}`
  const r = await request.post('/api/v2/admin/users', {
    headers: { Authorization: `Bearer ${await adminToken(request)}` },
    data: { name, displayName: name, password, systemRoles: [], tenants: [{ id: 1, default: true, roles: [2] }] },
  })
  expect(r.status(), await r.text()).toBe(201)
  return { name, password }
}

async function openTab(page: Page, tab: string) {
  await page.goto(`/setting?tab=${tab}`)
  await expect(page.getByTestId('setting-tabs')).toBeVisible()
}

test.describe('account settings', () => {
  for (const lang of ['ja', 'en'] as const) {
    test(`every tab in ${lang}`, async ({ page }) => {
      await login(page, lang)
      await openTab(page, 'tenant')
      await expect(page.getByRole('heading', { name: lang === 'ja' ? 'アカウント設定' : 'Account settings' })).toBeVisible()
      await expect(page.getByTestId('current-tenant')).toContainText('sandbox')
      await expect(page.getByTestId('my-tenants')).toContainText(lang === 'ja' ? '接続中' : 'Connected')
      await shot(page, lang, 'setting-tenant')

      await openTab(page, 'token')
      await page.getByTestId('token-issue').click()
      await expect(page.getByTestId('token-result')).toBeVisible()
      await expect(page.getByTestId('token-cli')).toContainText('"token"')
      await shot(page, lang, 'setting-token')

      await openTab(page, 'git')
      await expect(page.getByTestId('git-tokens')).toContainText('GitHub')
      await shot(page, lang, 'setting-git')

      await openTab(page, 'registry')
      await expect(page.getByTestId('registry-tokens')).toContainText('official-docker-hub')
      await shot(page, lang, 'setting-registry')

      await openTab(page, 'webhook')
      await expect(page.getByTestId('webhook-url')).toBeVisible()
      await shot(page, lang, 'setting-webhook')

      await openTab(page, 'user')
      await expect(page.getByTestId('user-name')).toHaveText('admin')
      await shot(page, lang, 'setting-user')
    })
  }

  test('the default tenant, git token, registry credentials and webhook are saved', async ({ page }) => {
    await login(page, 'en')
    await openTab(page, 'tenant')
    await page.getByTestId('default-tenant-save').click()
    await expect(page.getByText('Saved').first()).toBeVisible()

    await openTab(page, 'git')
    await page.getByTestId('git-token-1').fill('ghp_e2e_token')
    await page.getByTestId('git-save-1').click()
    await expect(page.getByText('Saved').first()).toBeVisible()

    await openTab(page, 'registry')
    await page.getByTestId('registry-user-1').fill('e2e-user')
    await page.getByTestId('registry-password-1').fill('e2e-secret')
    await page.getByTestId('registry-save-1').click()
    await expect(page.getByText('Saved').first()).toBeVisible()

    await openTab(page, 'webhook')
    await page.getByTestId('webhook-url').fill('not a url')
    await page.getByTestId('webhook-save').click()
    await expect(page.getByText('Enter a URL starting with http:// or https://')).toBeVisible()
    await page.getByTestId('webhook-url').fill('https://hooks.example.com/services/e2e')
    await page.getByTestId('webhook-mention').fill('U0E2E')
    await page.getByTestId('webhook-save').click()
    await expect(page.getByText('Saved').first()).toBeVisible()

    await page.reload()
    await expect(page.getByTestId('webhook-url')).toHaveValue('https://hooks.example.com/services/e2e')
    await openTab(page, 'git')
    await expect(page.getByTestId('git-token-1')).toHaveValue('ghp_e2e_token')
    await openTab(page, 'registry')
    await expect(page.getByTestId('registry-user-1')).toHaveValue('e2e-user')

    // The address is not reachable from the test machine: clear it, so
    // that the jobs of later specs notify nobody (tests stay on loopback).
    await openTab(page, 'webhook')
    await page.getByTestId('webhook-url').fill('')
    await page.getByTestId('webhook-save').click()
    await expect(page.getByText('Saved').first()).toBeVisible()
  })

  test('change the display name', async ({ page, request }) => {
    const u = await newUser(request, 'e2e-name')
    await login(page, 'en', u.name, u.password)
    await openTab(page, 'user')
    await page.getByTestId('display-name').fill('')
    await page.getByTestId('display-name-save').click()
    await expect(page.getByText('Required')).toBeVisible()
    await page.getByTestId('display-name').fill('E2E 表示名')
    await page.getByTestId('display-name-save').click()
    await expect(page.getByTestId('user-menu')).toContainText('E2E 表示名')
    await page.reload()
    await expect(page.getByTestId('display-name')).toHaveValue('E2E 表示名')
  })

  test('issue an access token that the API accepts', async ({ page, request }) => {
    await login(page, 'en')
    await openTab(page, 'token')
    const days = page.getByTestId('token-days').locator('input')
    await days.fill('7')
    await days.blur()
    await page.getByTestId('token-issue').click()
    await expect(page.getByTestId('token-result')).toContainText('sandbox')
    const token = await page.getByTestId('token-value').inputValue()
    expect(token.split('.')).toHaveLength(3)

    const r = await request.get('/api/v2/account', { headers: { Authorization: `Bearer ${token}` } })
    expect(r.status()).toBe(200)
    expect((await r.json()).userName).toBe('admin')

    // It lives 7 days, not the session's default.
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
    const life = payload.exp - Math.floor(Date.now() / 1000)
    expect(life).toBeGreaterThan(7 * 86400 - 120)
    expect(life).toBeLessThanOrEqual(7 * 86400)

    // The session itself keeps working.
    await page.reload()
    await expect(page.getByTestId('user-menu')).toBeVisible()
  })

  test('a weak new password and a wrong current password are refused', async ({ page, request }) => {
    const u = await newUser(request, 'e2e-weak')
    await login(page, 'en', u.name, u.password)
    await openTab(page, 'user')
    await page.getByTestId('current-password').fill(u.password)
    await page.getByTestId('new-password').fill('12345678')
    await page.getByTestId('confirm-password').fill('12345678')
    await page.getByTestId('password-save').click()
    await expect(page.getByText('The password must not be digits only: add letters or symbols')).toBeVisible()
    await page.getByTestId('new-password').fill('short')
    await page.getByTestId('new-password').blur()
    await expect(page.getByText('Use at least 8 characters')).toBeVisible()

    // What only the server knows: its message is shown.
    await page.getByTestId('current-password').fill('not-my-password')
    await page.getByTestId('new-password').fill('good-new-pass-1')
    await page.getByTestId('confirm-password').fill('good-new-pass-1')
    await page.getByTestId('password-save').click()
    await expect(page.getByTestId('password-error')).toContainText('current password is incorrect')
    await shot(page, 'en', 'setting-password-refused')

    // The server's own rule, sent past the form: the same message comes back.
    const tok = await page.evaluate(() => localStorage.getItem('kqi.token'))
    const r = await request.put('/api/v2/account/password', {
      headers: { Authorization: `Bearer ${tok}` },
      data: { currentPassword: u.password, newPassword: '12345678' },
    })
    expect(r.status()).toBe(400)
    expect((await r.json()).title).toBe('password must not be digits only')
  })

  test('change the password and log in with the new one', async ({ page, request }) => {
    const u = await newUser(request, 'e2e-pass')
    await login(page, 'en', u.name, u.password)
    await openTab(page, 'user')
    await page.getByTestId('current-password').fill(u.password)
    await page.getByTestId('new-password').fill('second-pass-2')
    await page.getByTestId('confirm-password').fill('second-pass-2')
    await page.getByTestId('password-save').click()
    await expect(page.getByText('Password changed')).toBeVisible()
    // The screen signed in again: still usable after a reload.
    await page.reload()
    await expect(page.getByTestId('user-name')).toHaveText(u.name)

    await page.getByTestId('user-menu').click()
    await page.getByText('Log out').click()
    await page.getByTestId('login-user').fill(u.name)
    await page.getByTestId('login-password').fill(u.password)
    await page.getByTestId('login-submit').click()
    await expect(page.getByTestId('login-error')).toContainText('User name or password is incorrect')
    await page.getByTestId('login-password').fill('second-pass-2')
    await page.getByTestId('login-submit').click()
    await expect(page.getByTestId('user-menu')).toBeVisible()
  })
})

import { expect, test, type Page } from '@playwright/test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { login, shot } from './helpers'

// Administration (tenants, users, roles, menu access, storage) and the
// tenant manager's screens.

const stamp = () => Date.now().toString(36)

/** pick chooses an option of an el-select. */
async function pick(page: Page, testId: string, option: string | RegExp) {
  await page.getByTestId(testId).click()
  await page.getByRole('option', { name: option }).click()
}

async function confirmDialog(page: Page, button: string) {
  await page.locator('.el-message-box').getByRole('button', { name: button }).click()
}

async function logout(page: Page) {
  await page.getByTestId('user-menu').click()
  await page.getByText('Log out').click()
  await expect(page.getByTestId('login-submit')).toBeVisible()
}

test.describe('administration', () => {
  test('a new tenant, a user in it with a tenant role, who sees only that tenant', async ({ page }) => {
    const tenant = `e2e-team-${stamp()}`
    const user = `e2e-member-${stamp()}`
    await login(page, 'en')

    await page.goto('/tenant')
    await page.getByTestId('tenant-create').click()
    await expect(page).toHaveURL(/\/tenant\/edit$/)
    await page.getByTestId('tenant-name').fill('Bad_Name')
    await page.getByTestId('tenant-display-name').fill('E2E team')
    await page.getByTestId('save').click()
    await expect(page.getByText("Use lower-case letters, digits and '-'")).toBeVisible()
    await page.getByTestId('tenant-name').fill('kube-system2')
    await page.getByTestId('save').click()
    await expect(page.getByText('Names starting with kqi- or kube- are used by the system')).toBeVisible()
    await page.getByTestId('tenant-name').fill(tenant)
    await page.getByTestId('tenant-git-2').click()
    await page.getByTestId('tenant-registry-2').click()
    await pick(page, 'tenant-default-registry', 'ngc')
    await page.getByTestId('save').click()
    await expect(page).toHaveURL(/\/tenant$/)
    await expect(page.getByTestId(`tenant-${tenant}`)).toBeVisible()

    // Its name is fixed now; its settings came back as saved.
    await page.getByTestId(`tenant-${tenant}`).click()
    await expect(page.getByTestId('tenant-name-fixed')).toHaveText(tenant)
    await expect(page.getByTestId('tenant-registry-2')).toHaveClass(/is-checked/)
    await expect(page.getByTestId('tenant-default-registry')).toContainText('ngc')

    await page.goto('/user')
    await page.getByTestId('user-create').click()
    await page.getByTestId('user-name').fill(user)
    await page.getByTestId('user-display-name').fill('E2E member')
    await page.getByTestId('user-password').fill('member-pass-1')
    await page.getByTestId('user-password-confirm').fill('member-pass-1')
    // New users start in sandbox: take it away and add the new tenant.
    await page.getByTestId('user-tenants').getByRole('button', { name: 'Remove' }).click()
    await pick(page, 'user-add-tenant', new RegExp(`^${tenant} `))
    await page.getByTestId('user-add-tenant-button').click()
    await page.getByTestId(`user-tenant-${tenant}-role-researchers`).click()
    await expect(page.getByTestId(`user-tenant-${tenant}-role-researchers`)).toHaveClass(/is-checked/)
    await shot(page, 'en', 'user-create')
    await page.getByTestId('save').click()
    await expect(page).toHaveURL(/\/user$/)
    await expect(page.getByTestId('user-table')).toContainText(user)

    await logout(page)
    await page.getByTestId('login-user').fill(user)
    await page.getByTestId('login-password').fill('member-pass-1')
    await page.getByTestId('login-submit').click()
    await expect(page.getByTestId('user-menu')).toContainText('E2E member')
    await page.goto('/setting?tab=tenant')
    await expect(page.getByTestId('current-tenant')).toContainText(tenant)
    const rows = page.getByTestId('my-tenants').locator('tbody tr')
    await expect(rows).toHaveCount(1)
    await expect(rows.first()).toContainText('Researcher')
    await expect(page.getByTestId('my-tenants')).not.toContainText('sandbox')
    // A researcher's menus, none of the administrator's.
    await expect(page.getByRole('menuitem', { name: 'Training' })).toBeVisible()
    await expect(page.getByRole('menuitem', { name: 'Tenants' })).toHaveCount(0)
    await page.getByTestId('tenant-switcher').click()
    await expect(page.getByRole('option')).toHaveCount(1)
  })

  test('refused inputs show the API message', async ({ page }) => {
    await login(page, 'en')
    // sandbox cannot be deleted.
    await page.goto('/tenant/edit/1')
    await expect(page.getByTestId('tenant-name-fixed')).toHaveText('sandbox')
    await page.getByTestId('delete').click()
    await confirmDialog(page, 'Delete')
    await expect(page.getByTestId('form-error')).toContainText('tenant sandbox cannot be deleted')
    await expect(page.locator('.el-message-box')).toBeHidden()
    await shot(page, 'en', 'tenant-delete-refused')

    // A tenant name that exists already.
    await page.goto('/tenant/edit')
    await page.getByTestId('tenant-name').fill('sandbox')
    await page.getByTestId('tenant-display-name').fill('again')
    await page.getByTestId('save').click()
    await expect(page.getByTestId('form-error')).toContainText('tenant sandbox already exists')

    // A built-in role keeps its name.
    await page.goto('/role/edit/1')
    await expect(page.getByTestId('role-builtin')).toBeVisible()
    await expect(page.getByTestId('role-name')).toBeDisabled()

    // The admin user cannot be deleted.
    await page.goto('/user/edit/1')
    await expect(page.getByTestId('user-name-fixed')).toHaveText('admin')
    await page.getByTestId('delete').click()
    await confirmDialog(page, 'Delete')
    await expect(page.getByTestId('form-error')).toContainText('the admin user cannot be deleted')

    // A storage directory the server cannot use.
    await page.goto('/storage/edit')
    await page.getByTestId('storage-name').fill(`e2e-bad-${stamp()}`)
    await page.getByTestId('storage-directory').fill('relative/path')
    await page.getByTestId('save').click()
    await expect(page.getByText('Enter an absolute path starting with /')).toBeVisible()
    await page.getByTestId('storage-directory').fill('/proc/kqi-e2e-cannot-write')
    await page.getByTestId('save').click()
    await expect(page.getByTestId('form-error')).toContainText('the storage cannot be used')
  })

  test('a directory storage is registered and listed', async ({ page }) => {
    const name = `e2e-dir-${stamp()}`
    const dir = mkdtempSync(join(tmpdir(), 'kqi-e2e-storage-'))
    await login(page, 'en')
    await page.goto('/storage')
    await page.getByTestId('storage-create').click()
    await page.getByTestId('storage-name').fill(name)
    await page.getByTestId('storage-kind-directory').click()
    await page.getByTestId('storage-directory').fill(dir)
    await page.getByTestId('storage-nfs-server').fill('nfs.example.com')
    await page.getByTestId('storage-nfs-root').fill('/export/e2e')
    await page.getByTestId('save').click()
    await expect(page).toHaveURL(/\/storage$/)
    const row = page.getByTestId('storage-table').locator('tr', { hasText: name })
    await expect(row).toContainText(dir)
    await expect(row).toContainText('nfs.example.com:/export/e2e')

    // The configured storage: only name and NFS fields.
    await page.goto('/storage/edit/1')
    await expect(page.getByTestId('storage-configured')).toBeVisible()
    await expect(page.getByTestId('storage-directory')).toHaveCount(0)
    await expect(page.getByTestId('delete')).toHaveCount(0)
  })

  test('a menu permission toggled in the matrix stays after a reload', async ({ page }) => {
    await login(page, 'en')
    await page.goto('/menu')
    // Preprocessing (menu 7) for the User role (role 1): off in the seed.
    const cell = page.getByTestId('menu-7-role-1')
    await expect(cell).not.toHaveClass(/is-checked/)
    await cell.click()
    await expect(page.getByText('Saved').first()).toBeVisible()
    await expect(cell).toHaveClass(/is-checked/)
    await page.reload()
    await expect(page.getByTestId('menu-7-role-1')).toHaveClass(/is-checked/)

    // The admins role keeps the Menu menu (24): the API says why.
    await page.getByTestId('menu-24-role-4').click()
    await expect(page.getByText('the admins role keeps menu Menu')).toBeVisible()
    await expect(page.getByTestId('menu-24-role-4')).toHaveClass(/is-checked/)

    // Put the seed back.
    await page.getByTestId('menu-7-role-1').click()
    await expect(page.getByTestId('menu-7-role-1')).not.toHaveClass(/is-checked/)
    await page.reload()
    await expect(page.getByTestId('menu-7-role-1')).not.toHaveClass(/is-checked/)
  })

  test('a role is created and listed', async ({ page }) => {
    const name = `e2e-role-${stamp()}`
    await login(page, 'en')
    await page.goto('/role/edit')
    await page.getByTestId('role-name').fill('bad name')
    await page.getByTestId('role-display-name').fill('E2E role')
    await page.getByTestId('save').click()
    await expect(page.getByText("Use letters, digits and '-', '_', '.'")).toBeVisible()
    await page.getByTestId('role-name').fill(name)
    await page.getByTestId('save').click()
    await expect(page).toHaveURL(/\/role$/)
    await expect(page.getByTestId(`role-${name}`)).toBeVisible()
  })

  for (const lang of ['ja', 'en'] as const) {
    test(`every administration screen in ${lang}`, async ({ page }) => {
      await login(page, lang)
      const screens: [string, string, string][] = [
        ['/tenant', 'tenant-table', 'tenants'],
        ['/tenant/edit/1', 'tenant-name-fixed', 'tenant-edit'],
        ['/tenant/edit', 'tenant-name', 'tenant-create'],
        ['/user', 'user-table', 'users'],
        ['/user/edit/1', 'user-name-fixed', 'user-edit'],
        ['/role', 'role-table', 'roles'],
        ['/role/edit/2', 'role-builtin', 'role-edit'],
        ['/menu', 'menu-section-system', 'menu-access'],
        ['/storage', 'storage-table', 'storages'],
        ['/storage/edit/1', 'storage-configured', 'storage-edit'],
        ['/storage/edit', 'storage-name', 'storage-create'],
        ['/manage/tenant', 'tenant-name-fixed', 'manage-tenant'],
        ['/manage/user', 'tenant-user-table', 'manage-users'],
        ['/manage/user/1', 'tenant-user-roles', 'manage-user-edit'],
        ['/manage/role', 'tenant-role-table', 'manage-roles'],
        ['/manage/menu', 'tenant-menu-table', 'manage-menu'],
      ]
      for (const [url, testId, name] of screens) {
        await page.goto(url)
        await expect(page.getByTestId(testId).first()).toBeVisible()
        await expect(page.locator('.el-loading-mask:visible')).toHaveCount(0)
        await shot(page, lang, name)
      }
    })
  }

  test('a tenant manager sets a tenant user’s roles', async ({ page }) => {
    await login(page, 'en')
    await page.goto('/manage/user')
    await page.getByTestId('tenant-user-admin').click()
    await expect(page).toHaveURL(/\/manage\/user\/1$/)
    const users = page.getByTestId('tenant-user-role-users')
    await expect(users).not.toHaveClass(/is-checked/)
    await users.click()
    await page.getByTestId('save').click()
    await expect(page.getByText('Saved').first()).toBeVisible()
    await page.reload()
    await expect(page.getByTestId('tenant-user-role-users')).toHaveClass(/is-checked/)
    // Removing oneself is refused by the API.
    await page.getByTestId('delete').click()
    await confirmDialog(page, 'Remove from tenant')
    await expect(page.getByTestId('form-error')).toContainText('you cannot remove yourself from the tenant')
    // Back as it was.
    await page.getByTestId('tenant-user-role-users').click()
    await page.getByTestId('save').click()
    await expect(page.getByText('Saved').first()).toBeVisible()
  })
})

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { login } from './helpers'

// Time to first render of /training with 1,000 trainings in the tenant:
// the median of 5 cold loads (a fresh browser context each: no cache, no
// session), from navigation to the first row of the table. The trainings
// are written straight into the SQLite database (only the list is
// measured; nothing runs them). Run with KQI_BENCH=1; needs sqlite3.
const dataDir = process.env.KQI_E2E_DIR ?? '/tmp/kqi-e2e'
const db = `${dataDir}/kamonohashi.db`
const runs = 5
const count = 1000

test('first render of /training with 1,000 trainings', async ({ browser }) => {
  test.skip(process.env.KQI_BENCH !== '1' || !existsSync('/usr/bin/sqlite3'), 'set KQI_BENCH=1 (needs /usr/bin/sqlite3)')
  test.setTimeout(180_000)
  const statuses = ['KQI-Completed', 'KQI-Killed', 'KQI-UserCanceled', 'Running', 'Pending']
  const rows: string[] = []
  for (let i = 1; i <= count; i++) {
    rows.push(`(1, 'training', ${i + 100000}, 'bench-${i}', 'memo ${i}', '${statuses[i % statuses.length]}', 'python train.py --seed ${i}', 'admin', 'admin')`)
  }
  const sql = `BEGIN; INSERT INTO jobs (tenant_id, kind, display_id, name, memo, status, entry_point, created_by, modified_by) VALUES ${rows.join(',')}; COMMIT;`
  execFileSync('/usr/bin/sqlite3', ['-cmd', '.timeout 5000', db], { input: sql })

  const setup = await browser.newContext()
  const page = await setup.newPage()
  await login(page, 'en')
  const tok = await page.evaluate(() => localStorage.getItem('kqi.token'))
  await setup.close()

  // /data (a handful of rows) is the baseline: what a cold start of the console costs on this machine.
  const median = async (path: string, table: string) => {
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const ctx = await browser.newContext()
      await ctx.addInitScript((t) => {
        localStorage.setItem('kqi.token', t ?? '')
        localStorage.setItem('kqi.lang', 'en')
      }, tok)
      const p = await ctx.newPage()
      const start = Date.now()
      await p.goto(path)
      await expect(p.getByTestId(table).locator('tbody tr').first()).toBeVisible({ timeout: 30_000 })
      times.push(Date.now() - start)
      await ctx.close()
    }
    const sorted = [...times].sort((a, b) => a - b)
    return { median: sorted[Math.floor(sorted.length / 2)], times }
  }
  const headers = { Authorization: `Bearer ${tok}` }
  expect((await (await browser.newContext()).request.post(`${test.info().project.use.baseURL}/api/v2/data`, { headers, data: { name: 'bench-data', memo: '', tags: [] } })).status()).toBe(201)
  const data = await median('/data', 'data-table')
  const training = await median('/training', 'job-table')
  console.log(`/training first render with ${count} trainings: median ${training.median} ms of ${runs} cold loads (${training.times.join(', ')} ms); ` +
    `/data with 1 data: median ${data.median} ms (${data.times.join(', ')} ms)`)
})

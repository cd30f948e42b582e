import { defineConfig } from '@playwright/test'

// End-to-end tests: Debian's Chromium (headless) against the real binary on
// its embedded defaults, started here on a throw-away data directory.
const port = process.env.KQI_E2E_PORT ?? '18090'
const dataDir = process.env.KQI_E2E_DIR ?? '/tmp/kqi-e2e'
export const adminPassword = 'e2e-admin-pass'

export default defineConfig({
  testDir: './e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1366, height: 800 },
    launchOptions: {
      executablePath: process.env.KQI_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
      ],
    },
    testIdAttribute: 'data-test',
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  webServer: {
    command: `rm -rf ${dataDir} && mkdir -p ${dataDir} && exec ../bin/kamonohashi server --addr 127.0.0.1:${port} --data-dir ${dataDir} --log-level warn`,
    url: `http://127.0.0.1:${port}/healthz`,
    // Jobs run on the local runner, CPU only unless told (jobs-live.spec.ts).
    env: { KAMONOHASHI_ADMIN_PASSWORD: adminPassword, KAMONOHASHI_GPUS: process.env.KAMONOHASHI_GPUS ?? 'none' },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
})

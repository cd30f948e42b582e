import type { Messages } from '@/app/i18n'

const ja = {
  title: 'ダッシュボード',
  welcome: '{name} さん、ようこそ',
  tenant: '接続中のテナント: {tenant}',
  roles: 'ロール',
}

const en: Messages<typeof ja> = {
  title: 'Dashboard',
  welcome: 'Welcome, {name}',
  tenant: 'Connected to tenant {tenant}',
  roles: 'Roles',
}

export const dashboard = { ja, en }

import type { Messages } from '@/app/i18n'

const ja = {
  title: 'ログイン',
  userName: 'ユーザ名',
  password: 'パスワード',
  submit: 'ログイン',
  expired: 'ログインの有効期限が切れました。もう一度ログインしてください。',
}

const en: Messages<typeof ja> = {
  title: 'Log in',
  userName: 'User name',
  password: 'Password',
  submit: 'Log in',
  expired: 'Your session has expired. Please log in again.',
}

export const login = { ja, en }

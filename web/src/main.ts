import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { router } from './app/router'
import { i18n, currentLang } from './app/i18n'
import './app/style.css'

document.documentElement.lang = currentLang()
createApp(App).use(router).use(i18n).use(ElementPlus).mount('#app')

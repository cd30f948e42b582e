// Small line icons for the data and dataset screens, usable wherever
// Element Plus takes an `icon` component.
import { defineComponent, h } from 'vue'

function icon(name: string, paths: string[]) {
  return defineComponent({
    name,
    setup() {
      return () =>
        h(
          'svg',
          {
            viewBox: '0 0 24 24',
            width: '1em',
            height: '1em',
            fill: 'none',
            stroke: 'currentColor',
            'stroke-width': 2,
            'stroke-linecap': 'round',
            'stroke-linejoin': 'round',
            'aria-hidden': 'true',
          },
          paths.map((d) => h('path', { d })),
        )
    },
  })
}

export const IconUpload = icon('IconUpload', ['M12 16V4', 'M7 9l5-5 5 5', 'M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3'])
export const IconFolder = icon('IconFolder', ['M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z'])
export const IconFile = icon('IconFile', ['M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z', 'M14 3v5h5'])
export const IconLock = icon('IconLock', ['M6 11h12v9H6z', 'M8 11V7a4 4 0 0 1 8 0v4'])
export const IconUnlock = icon('IconUnlock', ['M6 11h12v9H6z', 'M8 11V7a4 4 0 0 1 7.5-2'])
export const IconCopy = icon('IconCopy', ['M9 9h11v11H9z', 'M5 15H4V4h11v1'])
export const IconDownload = icon('IconDownload', ['M12 4v12', 'M7 11l5 5 5-5', 'M4 20h16'])
export const IconPlus = icon('IconPlus', ['M12 5v14', 'M5 12h14'])
export const IconClose = icon('IconClose', ['M6 6l12 12', 'M18 6L6 18'])
export const IconImage = icon('IconImage', ['M4 5h16v14H4z', 'M4 16l5-5 4 4 3-3 4 4', 'M15 9h.01'])
export const IconStar = icon('IconStar', ['M12 3l2.8 5.7 6.2.9-4.5 4.4 1.1 6.2L12 17.3 6.4 20.2l1.1-6.2L3 9.6l6.2-.9z'])
export const IconPlay = icon('IconPlay', ['M7 4l13 8-13 8z'])
export const IconStop = icon('IconStop', ['M6 6h12v12H6z'])
export const IconSearch = icon('IconSearch', ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M21 21l-5-5'])

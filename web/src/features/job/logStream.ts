// The live log of a job: GET …/log/stream answers Server-Sent Events.
// EventSource cannot send the Authorization header, so the stream is read
// with fetch: 'log' events carry JSON strings of output (appended, at most
// once a frame), 'end' the final status. The text kept is capped.
import { onBeforeUnmount, ref, shallowRef } from 'vue'
import { authHeaders, toApiError } from '@/api/client'
import { session } from '@/app/session'
import { message } from '@/app/notify'

/** MAX_CHARS bounds the kept log; past it the oldest quarter goes. */
export const MAX_CHARS = 4 << 20

export type LogState = 'idle' | 'connecting' | 'streaming' | 'ended' | 'error'

export interface LogEnd {
  status: string
  statusType: string
  conditionNote: string
}

/** parseFrames splits complete SSE frames off buf and returns them with the rest. */
export function parseFrames(buf: string): { frames: { event: string; data: string }[]; rest: string } {
  const frames: { event: string; data: string }[] = []
  const norm = buf.replace(/\r\n?/g, '\n')
  let start = 0
  for (;;) {
    const i = norm.indexOf('\n\n', start)
    if (i < 0) break
    const block = norm.slice(start, i)
    start = i + 2
    let event = 'message'
    const data: string[] = []
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue
      const c = line.indexOf(':')
      const field = c < 0 ? line : line.slice(0, c)
      let value = c < 0 ? '' : line.slice(c + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') event = value
      else if (field === 'data') data.push(value)
    }
    if (data.length || event !== 'message') frames.push({ event, data: data.join('\n') })
  }
  return { frames, rest: norm.slice(start) }
}

/** useLogStream reads a log stream; open(url) starts (again, from the beginning), close() stops. */
export function useLogStream(onEnd?: (e: LogEnd) => void) {
  const text = shallowRef('')
  const truncated = ref(false)
  const state = ref<LogState>('idle')
  const error = ref('')
  const end = ref<LogEnd | null>(null)
  let ctrl: AbortController | null = null
  let pending: string[] = []
  let raf = 0

  function flush() {
    raf = 0
    if (!pending.length) return
    let t = text.value + pending.join('')
    pending = []
    if (t.length > MAX_CHARS) {
      t = t.slice(t.length - Math.floor(MAX_CHARS * 0.75))
      const nl = t.indexOf('\n')
      if (nl >= 0 && nl < 4096) t = t.slice(nl + 1)
      truncated.value = true
    }
    text.value = t
  }

  function append(s: string) {
    pending.push(s)
    if (!raf) raf = requestAnimationFrame(flush)
  }

  function close() {
    ctrl?.abort()
    ctrl = null
    if (raf) cancelAnimationFrame(raf)
    raf = 0
    flush()
  }

  async function open(url: string) {
    close()
    const mine = new AbortController()
    ctrl = mine
    text.value = ''
    pending = []
    truncated.value = false
    end.value = null
    error.value = ''
    state.value = 'connecting'
    try {
      const r = await fetch(url, { headers: { ...authHeaders(), Accept: 'text/event-stream' }, signal: mine.signal })
      if (!r.ok) {
        let body: unknown = await r.text()
        try {
          body = JSON.parse(body as string)
        } catch {
          /* not JSON */
        }
        if (r.status === 401) session.expired()
        throw toApiError(r.status, body)
      }
      if (!r.body) throw new Error('no stream')
      state.value = 'streaming'
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader()
      let buf = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        const p = parseFrames(buf + value)
        buf = p.rest
        for (const f of p.frames) {
          if (f.event === 'log') {
            try {
              append(String(JSON.parse(f.data)))
            } catch {
              append(f.data)
            }
          } else if (f.event === 'end') {
            try {
              end.value = JSON.parse(f.data) as LogEnd
            } catch {
              end.value = { status: '', statusType: '', conditionNote: '' }
            }
          }
        }
      }
      flush()
      if (ctrl === mine) {
        state.value = end.value ? 'ended' : 'error'
        if (!end.value) error.value = 'closed'
        if (end.value) onEnd?.(end.value)
      }
    } catch (e) {
      if (mine.signal.aborted) return
      flush()
      state.value = 'error'
      error.value = message(e)
    }
  }

  onBeforeUnmount(close)
  return { text, truncated, state, error, end, open, close }
}

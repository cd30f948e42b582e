// The upload queue of the data screens: files picked one by one, as a
// folder or dropped, checked against the server's rules, then streamed
// with POST /upload/stream, four at a time, with per-file and total
// progress. Registering the uploads to a data is the caller's step, so
// that a data only ever gets all of its files or none.
import { computed, onBeforeUnmount, reactive, ref, shallowRef } from 'vue'
import { ApiError, authHeaders, toApiError } from '@/api/client'
import { session } from '@/app/session'
import { fileNameOk, MAX_FILES, type Uploaded } from './api'

export const PARALLEL = 4

export type UploadStatus = 'waiting' | 'uploading' | 'done' | 'failed'

export interface UploadItem {
  key: number
  file: File
  /** name is the data file name: the relative path, with `/` for folders. */
  name: string
  size: number
  status: UploadStatus
  loaded: number
  error: string
  result: Uploaded | null
}

export type RefusalReason = 'empty' | 'duplicate' | 'badName' | 'folderConflict' | 'tooMany'

/** Refusal is a group of picked files that the queue did not take, and why. */
export interface Refusal {
  reason: RefusalReason
  names: string[]
  /** count of files the data would then hold (tooMany). */
  count?: number
}

export class UploadCanceled extends Error {
  constructor() {
    super('upload canceled')
  }
}

export class UploadFailed extends Error {
  constructor(public failed: UploadItem[]) {
    super(failed[0]?.error ?? 'upload failed')
  }
}

export interface Picked {
  file: File
  name: string
}

let nextKey = 1

/** UploadType is where an upload is stored: data files, or files users attach to jobs. */
export type UploadType = 'Data' | 'TrainingHistoryAttachedFiles' | 'InferenceHistoryAttachedFiles'

/** useUploadQueue holds the files to upload and runs the uploads (as data files unless told). */
export function useUploadQueue(type: UploadType = 'Data') {
  const items = ref<UploadItem[]>([])
  const refusals = ref<Refusal[]>([])
  const running = ref(false)
  const xhrs = new Map<number, XMLHttpRequest>()
  let canceled = false

  // Progress of the current run: bytes sent, and samples for the speed.
  const stats = reactive({ runBytes: 0, runLoaded: 0, speed: 0 })
  const samples = shallowRef<{ t: number; bytes: number }[]>([])
  let timer: number | undefined

  const totalSize = computed(() => items.value.reduce((s, i) => s + i.size, 0))
  const doneCount = computed(() => items.value.filter((i) => i.status === 'done').length)
  const failedCount = computed(() => items.value.filter((i) => i.status === 'failed').length)
  const loadedBytes = computed(() => items.value.reduce((s, i) => s + i.loaded, 0))
  const percent = computed(() => (totalSize.value ? Math.min(100, Math.floor((loadedBytes.value * 100) / totalSize.value)) : 0))
  /** eta in seconds, or null while unknown. */
  const eta = computed(() => {
    if (!running.value || stats.speed <= 0) return null
    return Math.max(0, Math.round((totalSize.value - loadedBytes.value) / stats.speed))
  })

  /** add takes picked files that pass the server's rules; existing are the data's current file names. */
  function add(picked: Picked[], existing: string[] = []) {
    const out: Refusal[] = []
    const refuse = (reason: RefusalReason, name: string) => {
      let r = out.find((x) => x.reason === reason)
      if (!r) out.push((r = { reason, names: [] }))
      r.names.push(name)
    }
    const files = new Set<string>(existing)
    const dirs = new Set<string>()
    const addDirs = (n: string) => {
      for (let i = n.indexOf('/'); i >= 0; i = n.indexOf('/', i + 1)) dirs.add(n.slice(0, i))
    }
    for (const n of existing) addDirs(n)
    for (const it of items.value) {
      files.add(it.name)
      addDirs(it.name)
    }
    const fresh: Picked[] = []
    for (const p of picked) {
      if (!fileNameOk(p.name)) refuse('badName', p.name)
      else if (p.file.size === 0) refuse('empty', p.name)
      else if (files.has(p.name)) refuse('duplicate', p.name)
      else if (dirs.has(p.name) || [...prefixes(p.name)].some((d) => files.has(d))) refuse('folderConflict', p.name)
      else {
        files.add(p.name)
        addDirs(p.name)
        fresh.push(p)
      }
    }
    const count = existing.length + items.value.length + fresh.length
    if (count > MAX_FILES) {
      out.push({ reason: 'tooMany', names: fresh.map((p) => p.name), count })
    } else {
      for (const p of fresh) {
        items.value.push({ key: nextKey++, file: p.file, name: p.name, size: p.file.size, status: 'waiting', loaded: 0, error: '', result: null })
      }
    }
    refusals.value = out
  }

  function remove(key: number) {
    if (running.value) return
    items.value = items.value.filter((i) => i.key !== key)
  }

  function clear() {
    if (running.value) return
    items.value = []
    refusals.value = []
  }

  function dismissRefusals() {
    refusals.value = []
  }

  function sample() {
    const now = performance.now()
    const list = [...samples.value, { t: now, bytes: stats.runLoaded }].filter((s) => now - s.t <= 4000)
    samples.value = list
    const first = list[0]
    const last = list[list.length - 1]
    if (first && last && last.t - first.t >= 400) stats.speed = ((last.bytes - first.bytes) * 1000) / (last.t - first.t)
  }

  function uploadOne(it: UploadItem): Promise<void> {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest()
      xhrs.set(it.key, xhr)
      it.status = 'uploading'
      it.error = ''
      let counted = 0
      const progress = (n: number) => {
        stats.runLoaded += n - counted
        counted = n
        it.loaded = n
      }
      const finish = () => {
        xhrs.delete(it.key)
        resolve()
      }
      xhr.upload.onprogress = (e) => progress(Math.min(e.loaded, it.size))
      xhr.onload = () => {
        let body: unknown = xhr.responseText
        try {
          body = JSON.parse(xhr.responseText)
        } catch {
          /* not JSON */
        }
        if (xhr.status === 201 || xhr.status === 200) {
          progress(it.size)
          it.result = body as Uploaded
          it.status = 'done'
        } else {
          progress(0)
          it.status = 'failed'
          it.error = toApiError(xhr.status, body).message
          if (xhr.status === 401) {
            cancel()
            session.expired()
          }
        }
        finish()
      }
      xhr.onerror = () => {
        progress(0)
        it.status = 'failed'
        it.error = new ApiError(0, 'network').message
        finish()
      }
      xhr.onabort = () => {
        progress(0)
        it.status = 'waiting'
        finish()
      }
      const base = it.name.slice(it.name.lastIndexOf('/') + 1)
      xhr.open('POST', `/api/v2/upload/stream?type=${type}&fileName=${encodeURIComponent(base)}`)
      for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v)
      xhr.setRequestHeader('Content-Type', 'application/octet-stream')
      xhr.send(it.file)
    })
  }

  /** run uploads every file not uploaded yet and returns all items, or throws UploadCanceled / UploadFailed. */
  async function run(): Promise<UploadItem[]> {
    if (running.value) throw new Error('already uploading')
    canceled = false
    const todo = items.value.filter((i) => i.status !== 'done')
    for (const it of todo) {
      it.status = 'waiting'
      it.loaded = 0
      it.error = ''
    }
    stats.runBytes = todo.reduce((s, i) => s + i.size, 0)
    stats.runLoaded = 0
    stats.speed = 0
    samples.value = []
    running.value = true
    timer = window.setInterval(sample, 500)
    let next = 0
    const worker = async () => {
      while (!canceled && next < todo.length) {
        const it = todo[next++]
        if (it) await uploadOne(it)
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, todo.length) }, worker))
    } finally {
      running.value = false
      window.clearInterval(timer)
      timer = undefined
    }
    if (canceled) throw new UploadCanceled()
    const failed = items.value.filter((i) => i.status === 'failed')
    if (failed.length) throw new UploadFailed(failed)
    return items.value
  }

  /** cancel aborts the uploads in flight; files already uploaded stay uploaded. */
  function cancel() {
    canceled = true
    for (const x of [...xhrs.values()]) x.abort()
  }

  onBeforeUnmount(cancel)

  return {
    items,
    refusals,
    running,
    stats,
    totalSize,
    loadedBytes,
    doneCount,
    failedCount,
    percent,
    eta,
    add,
    remove,
    clear,
    dismissRefusals,
    run,
    cancel,
  }
}

export type UploadQueue = ReturnType<typeof useUploadQueue>

function* prefixes(name: string) {
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) yield name.slice(0, i)
}

/** pickedFromInput turns an <input type=file>'s files into picks, with folder paths when there are any. */
export function pickedFromInput(list: FileList | null): Picked[] {
  if (!list) return []
  return Array.from(list, (f) => ({ file: f, name: f.webkitRelativePath || f.name }))
}

/** pickedFromDrop reads dropped files and folders (recursively). */
export async function pickedFromDrop(dt: DataTransfer): Promise<Picked[]> {
  const entries: FileSystemEntry[] = []
  const plain: File[] = []
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue
    const e = item.webkitGetAsEntry?.()
    if (e) entries.push(e)
    else {
      const f = item.getAsFile()
      if (f) plain.push(f)
    }
  }
  if (!entries.length && !plain.length) return Array.from(dt.files, (f) => ({ file: f, name: f.name }))
  const out: Picked[] = plain.map((f) => ({ file: f, name: f.name }))
  for (const e of entries) await walk(e, out)
  return out
}

async function walk(entry: FileSystemEntry, out: Picked[]) {
  if (entry.isFile) {
    const file = await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej))
    out.push({ file, name: entry.fullPath.replace(/^\/+/, '') || file.name })
    return
  }
  if (!entry.isDirectory) return
  const reader = (entry as FileSystemDirectoryEntry).createReader()
  // readEntries answers in batches; read until an empty batch.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej))
    if (!batch.length) break
    for (const child of batch) await walk(child, out)
  }
}

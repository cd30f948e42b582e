// A stand-in for the job API (trainings, inferences, preprocessing) in the
// browser, for the console's specs while the binary under test has no
// runner wired (its job routes answer 500 until then). It keeps jobs in
// memory, answers the routes the screens call with the server's shapes,
// and records what the screens sent. Data and datasets stay real.
import type { Page, Route } from '@playwright/test'

type Json = Record<string, unknown>

export interface MockJob {
  id: number
  kind: 'training' | 'inference'
  name: string
  status: string
  statusType: string
  conditionNote: string
  memo: string
  favorite: boolean
  tags: string[]
  parents: number[]
  inferences: number[]
  dataSet: { id: number; displayId: number; name: string } | null
  entryPoint: string
  outputValue: string
  log: string
  exitCode: number | null
  createdAt: string
}

export interface Sent {
  method: string
  path: string
  query: URLSearchParams
  body: Json | null
}

const statusTypes: Record<string, string> = {
  Running: 'Running', Pending: 'Running', Completed: 'Closed', UserCanceled: 'Closed',
  Killed: 'Failed', OOMKilled: 'Failed', Failed: 'Failed', Error: 'Error',
}

export function job(id: number, kind: 'training' | 'inference', name: string, status = 'Completed', extra: Partial<MockJob> = {}): MockJob {
  return {
    id, kind, name, status, statusType: statusTypes[status] ?? 'None',
    conditionNote: status === 'Pending' ? 'waiting for 1 GPU (0 of 0 free)' : status === 'Killed' ? 'exit code 1' : '',
    memo: '', favorite: false, tags: [], parents: [], inferences: [], dataSet: { id: 1, displayId: 1, name: 'mnist' },
    entryPoint: 'python train.py', outputValue: '', log: 'epoch 1\nepoch 2\n', exitCode: status === 'Completed' ? 0 : null,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(), ...extra,
  }
}

/** sentOf reads what a request sent: method, path below /api/vN, query and JSON body. */
export function sentOf(route: Route): Sent {
  const req = route.request()
  const url = new URL(req.url())
  let body: Json | null = null
  try {
    body = req.postData() ? (JSON.parse(req.postData() as string) as Json) : null
  } catch {
    body = null
  }
  return { method: req.method(), path: url.pathname.replace(/^\/api\/v[12]/, ''), query: url.searchParams, body }
}

function err(status: number, title: string, detail?: string) {
  return { status, json: { type: 'about:blank', title, status, detail } }
}

export class JobsMock {
  jobs: MockJob[] = []
  sent: Sent[] = []
  searches: { id: number; name: string; searchDetail: Json }[] = []
  preprocesses: Json[] = []
  histories: Json[] = []
  files: Json[] = [{ id: 1, fileId: 0, key: 'container', fileName: 'training_stdout_stderr.log', fileSize: 14, url: '/mock/log.txt' }]
  nextId = 1000
  /** inUse: ids whose delete answers 409. */
  inUse = new Set<number>()

  async install(page: Page) {
    await page.route(/\/api\/v2\/(training|inferences|preprocessings)(\/|\?|$)/, (route) => this.handle(route))
  }

  /** last returns the latest request sent to a path (exact) and method. */
  last(method: string, path: string): Sent | undefined {
    return [...this.sent].reverse().find((s) => s.method === method && s.path === path)
  }

  private view(j: MockJob): Json {
    const full = (id: number) => {
      const p = this.jobs.find((x) => x.id === id)
      return p ? `${p.id}:${p.name}` : String(id)
    }
    return {
      id: j.id, displayId: j.id, name: j.name, memo: j.memo, status: j.status, statusType: j.statusType, favorite: j.favorite,
      fullName: `${j.id}:${j.name}`, dataSet: j.dataSet, entryPoint: j.entryPoint, parentFullNameList: j.parents.map(full),
      parentInferenceFullNameList: j.inferences.map(full), tags: j.tags, outputValue: j.outputValue || undefined, gpu: 0,
      startedAt: j.createdAt, completedAt: j.statusType === 'Running' ? null : j.createdAt,
      createdAt: j.createdAt, createdBy: 'admin', modifiedAt: j.createdAt, modifiedBy: 'admin',
    }
  }

  private details(j: MockJob): Json {
    const sub = (ids: number[]) => ids.map((id) => this.jobs.find((x) => x.id === id)).filter((x): x is MockJob => !!x).map((x) => this.view(x))
    return {
      ...this.view(j), key: `${j.kind}-${j.id}`,
      gitModel: { gitId: 1, repository: 'models', owner: 'team', branch: 'main', commitId: '0123456789abcdef0123456789abcdef01234567', url: 'file:///srv/git/team/models' },
      containerImage: { registryId: 1, image: 'python', tag: '3.12', url: 'python:3.12' },
      options: [{ key: 'EPOCHS', value: '2' }], parents: sub(j.parents), parentInferences: sub(j.inferences),
      node: 'localhost', devices: j.status === 'Running' ? '0' : '', exitCode: j.exitCode, logSummary: '', cpu: 2, memory: 4,
      partition: '', ports: [], nodePorts: [], conditionNote: j.conditionNote, waitingTime: '2s', executionTime: '1m5s', zip: true,
      localDataSet: false, runnerNote: 'the local runner runs the command on the server\'s host; the image is recorded for clusters',
    }
  }

  private async handle(route: Route) {
    const { method, path, query, body } = sentOf(route)
    this.sent.push({ method, path, query, body })
    const r = this.answer(method, path, query, body)
    if ('sse' in r) {
      return route.fulfill({ status: 200, headers: { 'Content-Type': 'text/event-stream' }, body: r.sse })
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    if (r.total != null) headers['X-Total-Count'] = String(r.total)
    return route.fulfill({ status: r.status, headers, body: r.json === undefined ? '' : JSON.stringify(r.json) })
  }

  private page<T>(all: T[], q: URLSearchParams) {
    const page = Number(q.get('page') ?? 1)
    const per = Number(q.get('perPage') ?? 1000)
    return { status: 200, json: all.slice((page - 1) * per, page * per), total: all.length }
  }

  private answer(method: string, path: string, q: URLSearchParams, body: Json | null): { status: number; json?: unknown; total?: number } | { sse: string } {
    const kind = path.startsWith('/training') ? 'training' : path.startsWith('/inferences') ? 'inference' : 'pre'
    if (kind === 'pre') return this.pre(method, path, q, body)
    const base = kind === 'training' ? '/training' : '/inferences'
    const rest = path.slice(base.length)
    const mine = this.jobs.filter((j) => j.kind === kind).sort((a, b) => b.id - a.id)
    const has = (v: string, f: string | null) => !f || (f.startsWith('!') ? !v.includes(f.slice(1)) : v.includes(f))

    if (method === 'GET' && rest === '') {
      const tags = q.getAll('tag').flatMap((t) => t.split(',')).filter(Boolean)
      return this.page(mine.filter((j) => has(j.name, q.get('Name')) && has(j.status, q.get('Status')) && tags.every((t) => j.tags.includes(t))).map((j) => this.view(j)), q)
    }
    if (method === 'GET' && rest === '/mount') return { status: 200, json: mine.map((j) => this.view(j)) }
    if (kind === 'training') {
      if (method === 'GET' && rest === '/search') {
        const words = (q.get('name') ?? '').split(/\s+/).filter(Boolean)
        const or = q.get('nameOr') === 'true'
        const hit = (j: MockJob) => !words.length || (or ? words.some((w) => j.name.includes(w)) : words.every((w) => j.name.includes(w)))
        return this.page(mine.filter(hit).map((j) => this.view(j)), q)
      }
      if (method === 'GET' && rest === '/search/fill') return { status: 200, json: { createdBy: ['admin'], status: ['Completed', 'Running'], tags: this.allTags(), datasets: ['mnist'] } }
      if (method === 'GET' && rest === '/search-history') return { status: 200, json: this.searches }
      if (method === 'POST' && rest === '/search-history') {
        const name = String(body?.name ?? '')
        if (name.length < 4) return err(400, 'name must be 4 to 256 characters')
        const s = { id: this.nextId++, name, searchDetail: (body?.searchDetailInputModel ?? {}) as Json }
        this.searches.push(s)
        return { status: 201, json: s }
      }
      const sh = /^\/search-history\/(\d+)$/.exec(rest)
      if (method === 'DELETE' && sh) {
        this.searches = this.searches.filter((s) => s.id !== Number(sh[1]))
        return { status: 204 }
      }
      if (method === 'GET' && rest === '/tags') return { status: 200, json: this.allTags() }
      if ((method === 'POST' || method === 'DELETE') && rest === '/tags') {
        const ids = (body?.id ?? []) as number[]
        const tags = (body?.tags ?? []) as string[]
        for (const j of this.jobs.filter((x) => ids.includes(x.id))) {
          j.tags = method === 'POST' ? [...new Set([...j.tags, ...tags])] : j.tags.filter((t) => !tags.includes(t))
        }
        return { status: 204 }
      }
    }
    if (method === 'POST' && rest === '/run') {
      const b = body ?? {}
      if (b.name === 'refuse me') return err(400, 'the run request is invalid', 'cpu 300 is more than the tenant quota of 8')
      const j = job(this.nextId++, kind, String(b.name), 'Pending', { entryPoint: String(b.entryPoint), parents: (b.parentIds ?? []) as number[], tags: (b.tags ?? []) as string[] })
      this.jobs.push(j)
      return { status: 201, json: this.details(j) }
    }
    const m = /^\/(\d+)(\/.*)?$/.exec(rest)
    const j = m ? mine.find((x) => x.id === Number(m[1])) : undefined
    if (!m || !j) return err(404, `${kind} is not found`)
    const sub = m[2] ?? ''
    if (method === 'GET' && sub === '') return { status: 200, json: this.details(j) }
    if (method === 'PUT' && sub === '') {
      if (typeof body?.name === 'string') j.name = body.name
      if (typeof body?.memo === 'string') j.memo = body.memo
      if (typeof body?.favorite === 'boolean') j.favorite = body.favorite
      if (Array.isArray(body?.tags)) j.tags = body.tags as string[]
      return { status: 200, json: this.details(j) }
    }
    if (method === 'DELETE' && sub === '') {
      if (this.inUse.has(j.id)) return err(409, `${kind} ${j.id} is used by training 40`, 'delete the children first')
      this.jobs = this.jobs.filter((x) => x !== j)
      return { status: 204 }
    }
    if (method === 'POST' && sub === '/user-cancel') {
      Object.assign(j, { status: 'UserCanceled', statusType: 'Closed' })
      return { status: 200, json: this.details(j) }
    }
    if (method === 'GET' && sub === '/events') {
      return { status: 200, json: [
        { time: j.createdAt, error: false, reason: 'Queued', message: 'waiting for resources' },
        { time: j.createdAt, error: false, reason: 'Started', message: 'the command started' },
        { time: j.createdAt, error: j.status !== 'Completed', reason: 'Exited', message: `exit code ${j.exitCode ?? 1}` },
      ] }
    }
    if (method === 'GET' && sub === '/files') return { status: 200, json: this.files }
    if (method === 'POST' && sub === '/files') {
      const f = { id: this.nextId++, fileId: this.nextId, key: 'user', fileName: String(body?.fileName), fileSize: 5, url: '/mock/file' }
      this.files.push(f)
      return { status: 201, json: f }
    }
    if (method === 'GET' && sub === '/container-files') {
      const p = q.get('path') ?? ''
      const at = '2026-01-01T00:00:00Z'
      if (p === '') return { status: 200, json: { dirs: [{ dirName: 'checkpoints', dirPath: 'checkpoints/' }], files: [{ key: 'model.txt', fileName: 'model.txt', lastModified: at, size: 2048, url: '/mock/model.txt' }], exceeded: false } }
      return { status: 200, json: { dirs: [], files: [{ key: `${p}epoch-1.ckpt`, fileName: 'epoch-1.ckpt', lastModified: at, size: 1 << 20, url: '/mock/ckpt' }], exceeded: false } }
    }
    if (method === 'GET' && sub === '/log/stream') return { sse: this.sse(j.log, j) }
    return err(405, 'not in the mock')
  }

  sse(log: string, j: { status: string; statusType: string; conditionNote: string }): string {
    const lines = log.match(/[^\n]*\n?/g)?.filter(Boolean) ?? []
    return ': keep-alive\n\n' + lines.map((l) => `event: log\ndata: ${JSON.stringify(l)}\n\n`).join('') +
      `event: end\ndata: ${JSON.stringify({ status: j.status, statusType: j.statusType, conditionNote: j.conditionNote })}\n\n`
  }

  private allTags() {
    return [...new Set(this.jobs.flatMap((j) => j.tags))].sort()
  }

  private pre(method: string, path: string, q: URLSearchParams, body: Json | null): { status: number; json?: unknown; total?: number } | { sse: string } {
    const rest = path.slice('/preprocessings'.length)
    const now = '2026-01-02T03:04:05Z'
    if (method === 'GET' && rest === '') return this.page(this.preprocesses.filter((p) => !q.get('Name') || String(p.name).includes(q.get('Name') as string)), q)
    const shape = (b: Json, id: number, locked = false): Json => ({
      id, name: b.name, memo: b.memo ?? '', cpu: b.cpu ?? 1, memory: b.memory ?? 1, gpu: b.gpu ?? 0, entryPoint: b.entryPoint ?? '',
      gitModel: { gitId: 1, owner: '', repository: '', branch: '', commitId: '', url: '', ...((b.gitModel as Json) ?? {}) },
      containerImage: { registryId: 1, image: '', tag: '', url: '', ...((b.containerImage as Json) ?? {}) },
      isLocked: locked, createdAt: now, createdBy: 'admin', modifiedAt: now, modifiedBy: 'admin',
    })
    if (method === 'POST' && rest === '') {
      if (String(body?.name ?? '').startsWith('!')) return err(400, 'a tag must not start with !')
      const p = shape(body ?? {}, this.nextId++)
      this.preprocesses.push(p)
      return { status: 201, json: p }
    }
    const m = /^\/(\d+)(\/.*)?$/.exec(rest)
    const idx = m ? this.preprocesses.findIndex((p) => p.id === Number(m[1])) : -1
    if (!m || idx < 0) return err(404, 'preprocessing is not found')
    const p = this.preprocesses[idx] as Json
    const sub = m[2] ?? ''
    const hs = this.histories.filter((h) => h.preprocessId === p.id)
    if (method === 'GET' && sub === '') return { status: 200, json: p }
    if (method === 'PUT' && sub === '') {
      if (p.isLocked) return err(409, 'preprocessing has run; only name, memo and resources may change')
      this.preprocesses[idx] = shape(body ?? {}, p.id as number)
      return { status: 200, json: this.preprocesses[idx] }
    }
    if (method === 'PATCH' && sub === '') {
      Object.assign(p, Object.fromEntries(Object.entries(body ?? {}).filter(([, v]) => v != null)))
      return { status: 200, json: p }
    }
    if (method === 'DELETE' && sub === '') {
      if (p.isLocked) return err(409, 'preprocessing has run')
      this.preprocesses.splice(idx, 1)
      return { status: 204 }
    }
    if (method === 'GET' && sub === '/histories') return { status: 200, json: hs }
    if (method === 'POST' && sub === '/run') {
      const dataId = Number(body?.dataId)
      if (hs.some((h) => h.dataId === dataId)) return err(409, `the preprocessing already ran on data ${dataId}`)
      const h = { id: this.nextId++, key: `preprocessing-${this.nextId}`, status: 'Completed', statusType: 'Closed', conditionNote: '', createdAt: now, completedAt: now,
        dataId, dataName: `data-${dataId}`, preprocessId: p.id, preprocessName: p.name, outputDataIds: [dataId + 100] }
      this.histories.push(h)
      p.isLocked = true
      return { status: 201, json: h }
    }
    const hm = /^\/histories\/(\d+)(\/.*)?$/.exec(sub)
    const h = hm ? hs.find((x) => x.dataId === Number(hm[1])) : undefined
    if (!hm || !h) return err(404, 'run is not found')
    const hsub = hm[2] ?? ''
    if (method === 'GET' && hsub === '/log/stream') return { sse: this.sse('reading input\nwriting output/a\ndone\n', h as never) }
    if (method === 'GET' && hsub === '/files') return { status: 200, json: [{ id: 1, fileId: 0, key: 'container', fileName: 'preproc_stdout_stderr.log', fileSize: 40, url: '/mock/p.log' }] }
    if (method === 'GET' && hsub === '/events') return { status: 200, json: [{ time: now, error: false, reason: 'Started', message: 'the command started' }] }
    if (method === 'DELETE' && hsub === '') {
      this.histories = this.histories.filter((x) => x !== h)
      return { status: 204 }
    }
    return err(405, 'not in the mock')
  }
}

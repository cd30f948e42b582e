// A stand-in for the cluster API (nodes, partitions, quotas, resources,
// histories) in the browser, for the cluster screens' specs while the
// binary under test does not have those routes. It answers with the
// original's models (see web/src/features/cluster/types.ts), keeps what
// the screens change and records what they sent. Tenants, menus and the
// account stay real.
import type { Page, Route } from '@playwright/test'
import { sentOf, type Sent } from './jobsMock'

type Json = Record<string, unknown>
type Answer = { status: number; json?: unknown; text?: string }

const at = '2026-01-02T03:04:05Z'
const audit = { createdBy: 'admin', createdAt: at, modifiedBy: 'admin', modifiedAt: at }
const levels = ['Disabled', 'Private', 'Public']

export interface MockNode {
  id: number
  name: string
  memo: string
  partition: string
  accessLevel: 0 | 1 | 2
  tensorBoardEnabled: boolean
  notebookEnabled: boolean
  assignedTenantIds: number[]
}

export interface MockContainer {
  name: string
  tenantId: number
  tenantName: string
  displayName: string
  nodeName: string | null
  containerType: number
  cpu: number
  memory: number
  gpu: number
  status: string
  statusType: string
  conditionNote: string
  createdBy: string
  createdAt: string
}

function err(status: number, title: string, detail?: string): Answer {
  return { status, json: { type: 'about:blank', title, status, detail } }
}

export function container(name: string, tenantId: number, nodeName: string | null, extra: Partial<MockContainer> = {}): MockContainer {
  const tenantName = tenantId === 1 ? 'sandbox' : 'team-b'
  return {
    name, tenantId, tenantName, displayName: tenantId === 1 ? 'Sandbox' : 'Team B', nodeName, containerType: 1,
    cpu: 2, memory: 8, gpu: 1, status: nodeName ? 'Running' : 'Pending', statusType: 'Running',
    conditionNote: nodeName ? '' : 'waiting for 1 GPU (0 of 4 free)', createdBy: 'admin', createdAt: at, ...extra,
  }
}

export class ClusterMock {
  /** tenants: id → name and display name (1 is the real sandbox tenant). */
  tenants: Record<number, { name: string; displayName: string }> = { 1: { name: 'sandbox', displayName: 'Sandbox' }, 2: { name: 'team-b', displayName: 'Team B' } }
  nodes: MockNode[] = [
    { id: 1, name: 'gpu-node-01', memo: 'A100 x4', partition: 'a100', accessLevel: 2, tensorBoardEnabled: true, notebookEnabled: true, assignedTenantIds: [] },
    { id: 2, name: 'cpu-node-01', memo: '', partition: 'cpu', accessLevel: 1, tensorBoardEnabled: false, notebookEnabled: true, assignedTenantIds: [1] },
    { id: 3, name: 'old-node', memo: 'retired', partition: '', accessLevel: 0, tensorBoardEnabled: false, notebookEnabled: false, assignedTenantIds: [] },
  ]
  capacity: Record<string, { cpu: number; memory: number; gpu: number }> = {
    'gpu-node-01': { cpu: 32, memory: 256, gpu: 4 },
    'cpu-node-01': { cpu: 16, memory: 64, gpu: 0 },
    'old-node': { cpu: 8, memory: 32, gpu: 0 },
  }
  quotas: Record<number, { cpu: number; memory: number; gpu: number }> = { 1: { cpu: 16, memory: 64, gpu: 2 }, 2: { cpu: 0, memory: 0, gpu: 0 } }
  containers: MockContainer[] = [
    container('training-12-abcde', 1, 'gpu-node-01', { cpu: 4, memory: 16, gpu: 1 }),
    container('notebook-3-fghij', 2, 'gpu-node-01', { containerType: 4, cpu: 2, memory: 8, gpu: 1, createdBy: 'alice' }),
    container('preproc-7-klmno', 1, 'cpu-node-01', { containerType: 3, cpu: 8, memory: 32, gpu: 0 }),
    container('training-13-pqrst', 2, null, { gpu: 4 }),
  ]
  histories: Record<'jobs' | 'containers', { count: number; startDate: string | null; endDate: string | null }> = {
    jobs: { count: 1234, startDate: '2025-04-01T00:00:00Z', endDate: '2026-01-02T00:00:00Z' },
    containers: { count: 0, startDate: null, endDate: null },
  }
  /** busyNodes: names whose delete answers 409 (containers run on them). */
  busyNodes = new Set(['gpu-node-01'])
  sent: Sent[] = []
  nextId = 10

  async install(page: Page) {
    await page.route(/\/api\/v2\/(admin\/(nodes|node-access-levels|partitions|quotas|resource\/)|tenant\/(partitions|quota|nodes|resource\/))/, (r) => this.handle(r))
  }

  /** last returns the latest request sent to a path (exact) and method. */
  last(method: string, path: string): Sent | undefined {
    return [...this.sent].reverse().find((s) => s.method === method && s.path === path)
  }

  private async handle(route: Route) {
    const sent = sentOf(route)
    sent.path = decodeURIComponent(sent.path)
    this.sent.push(sent)
    const r = this.answer(sent.method, sent.path, sent.body)
    if (r.text != null) return route.fulfill({ status: r.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: r.text })
    return route.fulfill({ status: r.status, headers: { 'Content-Type': 'application/json' }, body: r.json === undefined ? '' : JSON.stringify(r.json) })
  }

  private tenant(id: number) {
    return { id, name: this.tenants[id]?.name ?? `t${id}`, displayName: this.tenants[id]?.displayName ?? `t${id}` }
  }

  private node(n: MockNode, details = false): Json {
    const out: Json = { ...audit, id: n.id, name: n.name, memo: n.memo, partition: n.partition, accessLevel: n.accessLevel, accessLevelStr: levels[n.accessLevel], tensorBoardEnabled: n.tensorBoardEnabled, notebookEnabled: n.notebookEnabled }
    if (details) out.assignedTenants = n.accessLevel === 1 ? n.assignedTenantIds.map((id) => this.tenant(id)) : null
    return out
  }

  private usage(list: MockContainer[]) {
    const sum = (k: 'cpu' | 'memory' | 'gpu') => list.reduce((s, c) => s + c[k], 0)
    return { assignedCpu: sum('cpu'), assignedMemory: sum('memory'), assignedGpu: sum('gpu'), containerResourceList: list }
  }

  private nodeResources(tenantId?: number): Json[] {
    const mine = this.containers.filter((c) => tenantId == null || c.tenantId === tenantId)
    const out: Json[] = this.nodes
      .filter((n) => tenantId == null || n.accessLevel === 2 || (n.accessLevel === 1 && n.assignedTenantIds.includes(tenantId)))
      .map((n) => {
        const cap = this.capacity[n.name] ?? { cpu: 4, memory: 16, gpu: 0 }
        return {
          name: n.name, memo: n.memo, partition: n.partition, accessLevel: n.accessLevel, tensorBoardEnabled: n.tensorBoardEnabled,
          allocatableCpu: cap.cpu, allocatableMemory: cap.memory, allocatableGpu: cap.gpu, ...this.usage(mine.filter((c) => c.nodeName === n.name)),
        }
      })
    const pending = mine.filter((c) => !c.nodeName)
    if (pending.length) out.push({ name: 'Unassigned', memo: '', partition: '', accessLevel: 0, tensorBoardEnabled: false, allocatableCpu: 0, allocatableMemory: 0, allocatableGpu: 0, ...this.usage(pending) })
    return out
  }

  private quota(id: number): Json {
    return { tenantId: id, tenantName: this.tenants[id]?.displayName ?? '', ...(this.quotas[id] ?? { cpu: 0, memory: 0, gpu: 0 }) }
  }

  private answer(method: string, path: string, body: Json | null): Answer {
    const ok = (json: unknown): Answer => ({ status: 200, json })
    if (method === 'GET' && path === '/admin/nodes') return ok(this.nodes.map((n) => this.node(n)))
    if (method === 'GET' && path === '/admin/node-access-levels') return ok(levels.map((name, id) => ({ id, name })))
    if (method === 'GET' && (path === '/admin/partitions' || path === '/tenant/partitions')) return ok([...new Set(this.nodes.map((n) => n.partition).filter(Boolean))].sort())
    if (method === 'POST' && path === '/admin/nodes/sync-cluster-from-db') return ok(this.nodes.map((n) => this.node(n)))
    if ((method === 'POST' && path === '/admin/nodes') || /^\/admin\/nodes\/\d+$/.test(path)) {
      const id = Number(path.split('/')[3] ?? 0)
      const n = this.nodes.find((x) => x.id === id)
      if (method !== 'POST' && !n) return err(404, `node ${id} is not found`)
      if (method === 'GET') return ok(this.node(n!, true))
      if (method === 'DELETE') {
        if (this.busyNodes.has(n!.name)) return err(409, `node ${n!.name} has running containers`, 'training-12-abcde runs on it')
        this.nodes = this.nodes.filter((x) => x !== n)
        return { status: 204 }
      }
      const b = body ?? {}
      if (this.nodes.some((x) => x.name === b.name && x !== n)) return err(409, `a node named ${String(b.name)} exists`)
      const v: MockNode = {
        id: n?.id ?? this.nextId++, name: String(b.name), memo: String(b.memo ?? ''), partition: String(b.partition ?? ''), accessLevel: b.accessLevel as 0 | 1 | 2,
        tensorBoardEnabled: !!b.tensorBoardEnabled, notebookEnabled: !!b.notebookEnabled, assignedTenantIds: (b.assignedTenantIds ?? []) as number[],
      }
      if (n) Object.assign(n, v)
      else this.nodes.push(v)
      return { status: n ? 200 : 201, json: this.node(v) }
    }
    if (method === 'GET' && path === '/admin/quotas') return ok(Object.keys(this.tenants).map((id) => this.quota(Number(id))))
    if (method === 'POST' && path === '/admin/quotas') {
      for (const q of (body ?? []) as unknown as { tenantId: number; cpu: number; memory: number; gpu: number }[]) {
        if (q.cpu > 250) return err(400, 'cpu must be 0 to 250')
        this.quotas[q.tenantId] = { cpu: q.cpu, memory: q.memory, gpu: q.gpu }
      }
      return ok(Object.keys(this.tenants).map((id) => this.quota(Number(id))))
    }
    if (method === 'GET' && path === '/tenant/quota') return ok(this.quota(1))
    if (method === 'GET' && path === '/tenant/nodes') return ok(this.nodeResources(1).filter((n) => n.name !== 'Unassigned'))
    if (method === 'GET' && path === '/admin/resource/nodes') return ok(this.nodeResources())
    if (method === 'GET' && path === '/tenant/resource/nodes') return ok(this.nodeResources(1))
    if (method === 'GET' && path === '/admin/resource/tenants') {
      return ok(Object.keys(this.tenants).map(Number).map((id) => {
        const q = this.quotas[id] ?? { cpu: 0, memory: 0, gpu: 0 }
        return { ...this.tenant(id), allocatableCpu: q.cpu, allocatableMemory: q.memory, allocatableGpu: q.gpu, ...this.usage(this.containers.filter((c) => c.tenantId === id)) }
      }))
    }
    if (method === 'GET' && path === '/admin/resource/containers') return ok(this.containers)
    if (method === 'GET' && path === '/admin/resource/container-types') return ok(['Unknown', 'Training', 'TensorBoard', 'Preprocessing', 'Inferencing', 'Notebook'].map((name, id) => ({ id, name })))
    if (method === 'GET' && path === '/tenant/resource/containers') return ok(this.containers.filter((c) => c.tenantId === 1).map(({ tenantId: _i, tenantName: _n, displayName: _d, ...c }) => c))
    const m = /^\/(admin\/resource\/containers\/(\d+)|tenant\/resource\/containers)\/([^/]+)(\/log|\/events)?$/.exec(path)
    if (m) {
      const tenantId = m[2] ? Number(m[2]) : 1
      const c = this.containers.find((x) => x.tenantId === tenantId && x.name === m[3])
      if (!c) return err(404, `container ${m[3]} is not found`)
      if (method === 'GET' && m[4] === '/log') return { status: 200, text: `start ${c.name}\nepoch 1 loss=0.9\nepoch 2 loss=0.4\n` }
      if (method === 'GET' && m[4] === '/events') {
        return ok([
          { time: at, error: false, reason: 'Scheduled', message: `Successfully assigned to ${c.nodeName}` },
          { time: at, error: true, reason: 'BackOff', message: 'Back-off pulling image' },
        ])
      }
      if (method === 'GET') return ok(m[2] ? c : (({ tenantId: _i, tenantName: _n, displayName: _d, ...x }) => x)(c))
      if (method === 'DELETE') {
        this.containers = this.containers.filter((x) => x !== c)
        return { status: 204 }
      }
    }
    const h = /^\/admin\/resource\/histories\/(jobs|containers)(\/metadata|\/data)?$/.exec(path)
    if (h) {
      const kind = h[1] as 'jobs' | 'containers'
      if (method === 'GET' && h[2] === '/metadata') return ok(this.histories[kind])
      if (method === 'GET' && h[2] === '/data') return { status: 200, text: 'TenantName,JobName,StartedAt\nsandbox,training-12,2026-01-01\n' }
      if (method === 'PATCH' && !h[2]) {
        this.histories[kind] = { ...this.histories[kind], count: 100, startDate: String(body?.endDate) }
        return { status: 200 }
      }
    }
    return err(405, `${method} ${path} is not in the mock`)
  }
}

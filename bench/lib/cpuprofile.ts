import { readFileSync } from 'node:fs'

// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: per function (self
// and total, i.e. including callees) and per component (aedes, mqtt-packet, zod, ingest, …).

type Node = { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
type Profile = { nodes: Node[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export type ProfileSummary = {
  seconds: number
  /** Share of samples not idle. */
  busyPct: number
  functions: Array<{ name: string, where: string, selfPct: number, totalPct: number }>
  /** Waystation's own functions by total time (callees included): where a message's time goes. */
  inclusive: Array<{ name: string, where: string, totalPct: number }>
  components: Array<{ name: string, selfPct: number }>
}

const ROOT_URL = new URL('../../', import.meta.url).href
const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)'])

export function componentOf (url: string, name: string): string {
  if (SPECIAL.has(name)) return name
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m !== null) return m[1] as string
  if (url.startsWith('node:') || url === '') return 'node internals'
  const local = /\/(contract|broker|ingest|api|registry|platform|rollups|simulators|bin)\//.exec(url)
  return local !== null ? `waystation ${local[1]}/` : 'other'
}

export function summarizeCpuProfile (file: string, top = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = (n: Node) => {
    const short = n.callFrame.url.replace(/^.*node_modules\//, '').replace(ROOT_URL, '')
    return `${n.callFrame.functionName || '(anonymous)'}\u0000${short}:${n.callFrame.lineNumber + 1}`
  }
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const comp = new Map<string, number>()
  let idle = 0
  let count = 0
  for (const id of p.samples) {
    const n = byId.get(id)
    if (n === undefined) continue
    count++
    if (n.callFrame.functionName === '(idle)') { idle++; continue }
    const k = keyOf(n)
    self.set(k, (self.get(k) ?? 0) + 1)
    const c = componentOf(n.callFrame.url, n.callFrame.functionName)
    comp.set(c, (comp.get(c) ?? 0) + 1)
    // Total: every distinct function on the stack once (recursion counted once).
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur)
      if (node === undefined || node.callFrame.functionName === '(root)') continue
      const key = keyOf(node)
      if (seen.has(key)) continue
      seen.add(key)
      total.set(key, (total.get(key) ?? 0) + 1)
    }
  }
  const busy = Math.max(1, count - idle)
  const pct = (x: number) => Math.round((1000 * x) / busy) / 10
  return {
    seconds: (p.endTime - p.startTime) / 1e6,
    busyPct: Math.round((1000 * (count - idle)) / Math.max(1, count)) / 10,
    functions: [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => {
      const [name, where] = k.split('\u0000') as [string, string]
      return { name, where, selfPct: pct(v), totalPct: pct(total.get(k) ?? v) }
    }),
    inclusive: [...total.entries()].filter(([k]) => /^[^\u0000]*\u0000(contract|broker|ingest|platform|registry)\//.test(k))
      .sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => {
        const [name, where] = k.split('\u0000') as [string, string]
        return { name, where, totalPct: pct(v) }
      }),
    components: [...comp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([name, v]) => ({ name, selfPct: pct(v) }))
  }
}


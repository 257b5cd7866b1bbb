// What the comparison benches (bus-cost, nodes, workers …) share: configurations run in turn,
// run after run (1, 2, 3, 1, 2, 3 …), so that a change in the shared machine's load hits every
// configuration alike, and the medians and numbers their tables print.

/** Every configuration once per run, interleaved; `after` runs even when a run throws. */
export async function runInterleaved<C, R> (runs: number, configs: readonly C[], once: (config: C, run: number) => Promise<R>, after: () => Promise<void>): Promise<R[]> {
  const results: R[] = []
  try {
    for (let run = 1; run <= runs; run++) for (const c of configs) results.push(await once(c, run))
  } finally {
    await after()
  }
  return results
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

/** A whole number with thousands separators, as the tables print counts and rates. */
export const n = (x: number): string => Math.round(x).toLocaleString('en')

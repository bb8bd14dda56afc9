import { Bench } from 'tinybench'

/**
 * A small layer over tinybench that makes comparisons hold on a noisy machine:
 * - every contender of a suite runs in the same process, in rounds, and the order of the
 *   contenders rotates each round (A B C, B C A, C A B …), so drift in CPU frequency or
 *   background load hits every contender alike;
 * - each tinybench sample runs a batch of operations, so the cost of reading the timer is
 *   spread over the batch instead of dominating a 50 ns operation;
 * - a contender's ratio to the baseline is taken within each round, then the median of those
 *   ratios is reported: a ratio survives noise that moves absolute numbers by 2x.
 */

/** One contender: `run` performs `opsPerBatch` operations. */
export interface Contender {
  readonly name: string
  readonly run: () => unknown
  /** Prepares each sample, untimed (for example, refills the entries an operation removes). */
  readonly beforeEach?: () => void | Promise<void>
  /** A fact to print beside the timing, read after the suite ran (loader calls, say). */
  readonly note?: () => string
}

/** A group of contenders compared against one baseline. */
export interface Suite {
  readonly name: string
  /** What one operation is, for the table's caption. */
  readonly operation: string
  /** Name of the contender the others are divided by. */
  readonly baseline: string
  /** Operations each `run` call performs. */
  readonly opsPerBatch: number
  readonly contenders: readonly Contender[]
}

/** Settings of a run. */
export interface RunSettings {
  readonly rounds: number
  /** Sampling time per contender per round, in milliseconds. */
  readonly timeMs: number
  readonly warmupMs: number
}

/** One row of a suite's result. */
export interface ResultRow {
  readonly suite: string
  readonly contender: string
  /** Median over rounds of each round's median nanoseconds per operation. */
  readonly nsPerOp: number
  /** Median over rounds of (this contender / baseline) measured in the same round. */
  readonly ratio: number
  readonly rounds: number
  readonly note: string
}

/** Runs a suite round by round and reduces the rounds to medians and ratios. */
export async function runSuite(suite: Suite, settings: RunSettings): Promise<ResultRow[]> {
  const perRound = new Map<string, number[]>(suite.contenders.map((c) => [c.name, []]))
  const ratios = new Map<string, number[]>(suite.contenders.map((c) => [c.name, []]))

  for (let round = 0; round < settings.rounds; round++) {
    const order = rotate(suite.contenders, round)
    const bench = new Bench({
      time: settings.timeMs,
      warmupTime: settings.warmupMs,
      iterations: 5,
      warmupIterations: 2,
    })

    for (const contender of order) {
      const hooks = contender.beforeEach ? { beforeEach: contender.beforeEach } : {}
      bench.add(contender.name, contender.run, hooks)
    }
    await bench.run()

    const measured = new Map<string, number>()
    for (const task of bench.tasks) {
      const result = task.result
      if (result === undefined || result.error !== undefined || result.latency.p50 === undefined) {
        throw new Error(`${suite.name}/${task.name} failed: ${String(result?.error)}`)
      }
      // tinybench reports milliseconds per sample; a sample is one batch.
      measured.set(task.name, (result.latency.p50 * 1e6) / suite.opsPerBatch)
    }

    const baseline = measured.get(suite.baseline) as number
    for (const [name, ns] of measured) {
      perRound.get(name)?.push(ns)
      ratios.get(name)?.push(ns / baseline)
    }
  }

  return suite.contenders.map((contender) => ({
    suite: suite.name,
    contender: contender.name,
    nsPerOp: median(perRound.get(contender.name) ?? []),
    ratio: median(ratios.get(contender.name) ?? []),
    rounds: settings.rounds,
    note: contender.note?.() ?? '',
  }))
}

/** A markdown table of one suite's rows. */
export function markdownTable(suite: Suite, rows: readonly ResultRow[]): string {
  const lines = [
    `### ${suite.name}`,
    '',
    `One operation: ${suite.operation}. Baseline: ${suite.baseline}.`,
    '',
    '| contender | median ns/op | ratio to baseline | note |',
    '| --- | ---: | ---: | --- |',
  ]

  for (const row of rows) {
    const ratio = `${row.ratio.toFixed(2)}x`
    lines.push(`| ${row.contender} | ${formatNs(row.nsPerOp)} | ${ratio} | ${row.note} |`)
  }

  return lines.join('\n')
}

function formatNs(ns: number): string {
  return ns >= 100 ? Math.round(ns).toLocaleString('en-US') : ns.toFixed(1)
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length

  return [...items.slice(shift), ...items.slice(0, shift)]
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)

  if (sorted.length === 0) return Number.NaN
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

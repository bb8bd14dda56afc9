import { Bench } from 'tinybench'

/**
 * A small layer over tinybench that makes comparisons hold on a noisy machine:
 * - every contender of a suite runs in the same process, in rounds, and the order of the
 *   contenders rotates each round (A B C, B C A, C A B …), so drift in CPU frequency or
 *   background load hits every contender alike; suites of slow operations can also make
 *   the contenders alternate batch by batch within a round (`interleave: 'batches'`);
 * - each round warms every contender up before it is sampled;
 * - each tinybench sample runs a batch of operations, so the cost of reading the timer is
 *   spread over the batch instead of dominating a 50 ns operation;
 * - a contender's ratio to the baseline is taken within each round, then the median of those
 *   ratios is reported: a ratio survives noise that moves absolute numbers by 2x. The lowest
 *   and highest round ratios are kept too, to show how much the rounds disagreed.
 */

/** One contender: `run` performs `opsPerBatch` operations. */
export interface Contender {
  readonly name: string
  /**
   * Operations one `run` performs, when not the suite's number: a cheap operation runs many
   * to a batch, one that needs `beforeEach` to prepare each operation runs one.
   * @default the suite's `opsPerBatch`
   */
  readonly opsPerBatch?: number
  /** What one operation of this contender does, beyond the suite's operation. */
  readonly includes: string
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
  /** Printed under the table: how the suite was set up, and what to read into it. */
  readonly remarks?: readonly string[]
  /**
   * How the contenders take turns within a round. `'rounds'`: tinybench samples each one for
   * its share of the round, one after the other. `'batches'`: they alternate batch by batch
   * (A B C A B C …), each batch timed on its own, so a server whose speed drifts from one
   * second to the next slows every contender alike; for operations of many microseconds,
   * where reading the timer around each batch costs nothing.
   * @default 'rounds'
   */
  readonly interleave?: 'rounds' | 'batches'
  /** Releases what the suite opened (connections, databases, timers), after it ran. */
  readonly teardown?: () => void | Promise<void>
}

/**
 * A suite that measured itself (the HTTP suite drives servers with autocannon rather than
 * calling functions in tinybench) and hands over finished rows.
 */
export interface MeasuredSuite {
  readonly name: string
  readonly operation: string
  readonly baseline: string
  readonly remarks?: readonly string[]
  readonly rows: readonly ResultRow[]
}

/** A suite that could not run here, and why. */
export interface SkippedSuite {
  readonly name: string
  readonly skipped: string
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
  readonly includes: string
  /** Median over rounds of each round's median nanoseconds per operation. */
  readonly nsPerOp: number
  /** Median over rounds of (this contender / baseline) measured in the same round. */
  readonly ratio: number
  /** The lowest and the highest of the per-round ratios. */
  readonly ratioLow: number
  readonly ratioHigh: number
  readonly rounds: number
  readonly note: string
  /** Latency percentiles in milliseconds, for suites that time whole requests. */
  readonly latencyMs?: { readonly p50: number; readonly p95: number; readonly p99: number }
}

/** Runs a suite round by round and reduces the rounds to medians and ratios. */
export async function runSuite(suite: Suite, settings: RunSettings): Promise<ResultRow[]> {
  const perRound = new Map<string, number[]>(suite.contenders.map((c) => [c.name, []]))
  const ratios = new Map<string, number[]>(suite.contenders.map((c) => [c.name, []]))
  const measureRound = suite.interleave === 'batches' ? alternatingRound : tinybenchRound

  if (!suite.contenders.some((c) => c.name === suite.baseline)) {
    throw new Error(`${suite.name}: the baseline ${suite.baseline} is not a contender`)
  }

  for (let round = 0; round < settings.rounds; round++) {
    const order = rotate(suite.contenders, round)
    const measured = await measureRound(suite, order, settings)

    const baseline = measured.get(suite.baseline) as number
    for (const [name, ns] of measured) {
      perRound.get(name)?.push(ns)
      ratios.get(name)?.push(ns / baseline)
    }
  }

  return suite.contenders.map((contender) => {
    const own = ratios.get(contender.name) ?? []

    return {
      suite: suite.name,
      contender: contender.name,
      includes: contender.includes,
      nsPerOp: median(perRound.get(contender.name) ?? []),
      ratio: median(own),
      ratioLow: Math.min(...own),
      ratioHigh: Math.max(...own),
      rounds: settings.rounds,
      note: contender.note?.() ?? '',
    }
  })
}

/** One round in tinybench: median nanoseconds per operation, by contender. */
async function tinybenchRound(
  suite: Suite,
  order: readonly Contender[],
  settings: RunSettings,
): Promise<Map<string, number>> {
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

  const ops = new Map(order.map((c) => [c.name, c.opsPerBatch ?? suite.opsPerBatch]))
  const measured = new Map<string, number>()
  for (const task of bench.tasks) {
    const result = task.result
    if (result === undefined || result.error !== undefined || result.latency.p50 === undefined) {
      throw new Error(`${suite.name}/${task.name} failed: ${String(result?.error)}`)
    }
    // tinybench reports milliseconds per sample; a sample is one batch.
    measured.set(task.name, (result.latency.p50 * 1e6) / (ops.get(task.name) as number))
  }

  return measured
}

/**
 * One round with the contenders alternating batch by batch, after as long a warm-up: median
 * nanoseconds per operation, by contender. The round lasts `timeMs` per contender, and at
 * least five batches of each.
 */
async function alternatingRound(
  suite: Suite,
  order: readonly Contender[],
  settings: RunSettings,
): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(order.map((c) => [c.name, []]))
  const warmUntil = performance.now() + settings.warmupMs * order.length
  const sampleUntil = warmUntil + settings.timeMs * order.length

  for (let cycle = 0; cycle < 2 || performance.now() < warmUntil; cycle++) {
    for (const contender of order) {
      await contender.beforeEach?.()
      await contender.run()
    }
  }

  for (let cycle = 0; cycle < 5 || performance.now() < sampleUntil; cycle++) {
    for (const contender of order) {
      await contender.beforeEach?.()
      const start = process.hrtime.bigint()
      await contender.run()
      samples.get(contender.name)?.push(Number(process.hrtime.bigint() - start))
    }
  }

  return new Map(
    order.map((c) => {
      const times = samples.get(c.name) ?? []
      return [c.name, median(times) / (c.opsPerBatch ?? suite.opsPerBatch)] as const
    }),
  )
}

/** What a markdown table needs to know about a suite; a stored result carries the same. */
export interface SuiteHeading {
  readonly name: string
  readonly operation: string
  readonly baseline: string
  readonly remarks?: readonly string[] | undefined
}

/** A markdown table of one suite's rows, with the suite's remarks under it. */
export function markdownTable(suite: SuiteHeading, rows: readonly ResultRow[]): string {
  const lines = [
    `### ${suite.name}`,
    '',
    `One operation: ${suite.operation}. Baseline: ${suite.baseline}.`,
    '',
    '| contender | one operation includes | median ns/op | ratio | rounds | note |',
    '| --- | --- | ---: | ---: | ---: | --- |',
  ]

  for (const row of rows) {
    const ratio = `${row.ratio.toFixed(2)}x`
    const spread = `${row.ratioLow.toFixed(2)}–${row.ratioHigh.toFixed(2)}`
    const cells = [row.contender, row.includes, formatNs(row.nsPerOp), ratio, spread, row.note]
    lines.push(`| ${cells.join(' | ')} |`)
  }

  if (suite.remarks !== undefined && suite.remarks.length > 0) {
    lines.push('', ...suite.remarks.map((remark) => `- ${remark}`))
  }

  return lines.join('\n')
}

/** The text of a suite that was skipped. */
export function skippedText(suite: SkippedSuite): string {
  return `### ${suite.name}\n\nSkipped: ${suite.skipped}`
}

/** Nanoseconds as a table cell: one decimal below 100 ns, whole and grouped above. */
export function formatNs(ns: number): string {
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

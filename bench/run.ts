import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { markdownTable, type ResultRow, type RunSettings, runSuite, type Suite } from './harness'
import { hitPathSuite, invalidationSuite, missStormSuite } from './suites/cache'

/**
 * `npm run bench` runs every suite and prints one markdown table per suite; `-- --quick`
 * runs fewer, shorter rounds (under a minute); `-- --only <text>` keeps the suites whose name
 * contains the text. Results are also written to bench/results/latest.json and latest.md.
 */

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const onlyIndex = args.indexOf('--only')
const only = onlyIndex >= 0 ? args[onlyIndex + 1]?.toLowerCase() : undefined

const settings: RunSettings = quick
  ? { rounds: 3, timeMs: 150, warmupMs: 50 }
  : { rounds: 7, timeMs: 400, warmupMs: 150 }

type SuiteFactory = () => Promise<Suite>

const factories: Array<[string, SuiteFactory]> = [
  ['Cache hit path', hitPathSuite],
  ['Cache miss storm', missStormSuite],
  ['Tag invalidation, 1 entries', () => invalidationSuite(1, true)],
  ['Tag invalidation, 1,000 entries', () => invalidationSuite(1_000, true)],
  // async-cache-dedupe deletes eagerly through a reverse index whose clean-up is quadratic:
  // 11 s per call at 100,000 entries in our research, so it is left out of the largest size.
  ['Tag invalidation, 100,000 entries', () => invalidationSuite(100_000, false)],
]

const rows: ResultRow[] = []
const tables: string[] = []

for (const [name, factory] of factories) {
  if (only !== undefined && !name.toLowerCase().includes(only)) continue

  const suite = await factory()
  const suiteRows = await runSuite(suite, settings)
  const table = markdownTable(suite, suiteRows)

  rows.push(...suiteRows)
  tables.push(table)
  console.log(`${table}\n`)
}

const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${Math.round(
  os.totalmem() / 2 ** 30,
)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`
const header = `Run on ${new Date().toISOString()}: ${machine}. ${
  quick ? 'Quick' : 'Full'
} run, ${settings.rounds} interleaved rounds.`

mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  `${JSON.stringify({ machine, quick, settings, rows }, null, 2)}\n`,
)
writeFileSync(
  new URL('./results/latest.md', import.meta.url),
  `${header}\n\n${tables.join('\n\n')}\n`,
)
console.log(header)

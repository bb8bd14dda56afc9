import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import {
  type MeasuredSuite,
  markdownTable,
  type ResultRow,
  type RunSettings,
  runSuite,
  type SkippedSuite,
  type Suite,
  skippedText,
} from './harness'
import { judgeTargets, verdictTable } from './targets'

/**
 * `npm run bench` runs every suite and prints one markdown table per suite, then the
 * targets of docs/performance.md judged against them; `-- --quick` runs fewer, shorter
 * rounds (under a minute); `-- --only <words>` keeps the groups or suites whose name contains
 * one of the comma-separated words (`--only breaker,timing`); `-- --docs` also puts the
 * tables into docs/performance.md.
 *
 * Results go to bench/results/latest.json and latest.md. A run with `--only` replaces the
 * suites it ran and keeps the others from earlier runs, each with the date it ran.
 */

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const docs = args.includes('--docs')
const onlyIndex = args.indexOf('--only')
const only = onlyIndex >= 0 ? args[onlyIndex + 1]?.toLowerCase().split(',') : undefined

const settings: RunSettings = quick
  ? { rounds: 3, timeMs: 150, warmupMs: 50 }
  : { rounds: 7, timeMs: 400, warmupMs: 150 }

type SuiteFactory = () => Promise<Suite | MeasuredSuite | SkippedSuite>

// Suites are imported when they run, so a package that does not load (while it is being
// changed, say) stops only its own group.
const cache = () => import('./suites/cache')
const breaker = () => import('./suites/breaker')
const timing = () => import('./suites/timing')
const postgres = () => import('./suites/pg')
const http = () => import('./http/suite')

interface Group {
  readonly name: string
  readonly suites: ReadonlyArray<readonly [string, SuiteFactory]>
}

const groups: readonly Group[] = [
  {
    name: 'cache',
    suites: [
      ['Cache hit path', async () => (await cache()).hitPathSuite()],
      ['Cache hit, one read per turn', async () => (await cache()).hitPerTurnSuite()],
      ['Cache miss storm', async () => (await cache()).missStormSuite()],
      ['Tag invalidation, 1 entry', async () => (await cache()).invalidationSuite(1, true)],
      [
        'Tag invalidation, 1,000 entries',
        async () => (await cache()).invalidationSuite(1_000, true),
      ],
      // async-cache-dedupe deletes eagerly through a reverse index whose clean-up is
      // quadratic: 11 s per call at 100,000 entries in our research, so it sits this one out.
      [
        'Tag invalidation, 100,000 entries',
        async () => (await cache()).invalidationSuite(100_000, false),
      ],
    ],
  },
  {
    name: 'breaker',
    suites: [
      ['Breaker, success path', async () => (await breaker()).breakerSuccessSuite()],
      ['Breaker, half the calls failing', async () => (await breaker()).breakerHalfFailingSuite()],
    ],
  },
  {
    name: 'timing',
    suites: [
      ['Deadline and timing', async () => (await timing()).deadlineSuite()],
      [
        'Breaker and deadline, dependency a turn away',
        async () => (await timing()).turnAwaySuite(),
      ],
    ],
  },
  {
    name: 'pg',
    suites: [
      ['PostgreSQL call, PGlite', async () => (await postgres()).pgliteSuite()],
      ['PostgreSQL call, real server', async () => (await postgres()).postgresSuite()],
      ['PostgreSQL call, client overhead', async () => (await postgres()).clientOverheadSuite()],
    ],
  },
  {
    name: 'http',
    suites: [
      [
        'Example server under load',
        async () =>
          (await http()).exampleServerSuite(
            quick
              ? { rounds: 1, seconds: 3, connections: 10 }
              : { rounds: 3, seconds: 8, connections: 10 },
          ),
      ],
    ],
  },
]

/** One suite's stored result. */
interface StoredSuite {
  readonly name: string
  readonly machine: string
  readonly ranAt: string
  readonly quick: boolean
  readonly settings: RunSettings
  readonly operation?: string
  readonly baseline?: string
  readonly remarks?: readonly string[]
  readonly skipped?: string
  readonly rows: readonly ResultRow[]
}

const resultsDir = new URL('./results/', import.meta.url)
const jsonFile = new URL('./latest.json', resultsDir)
const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}, ${Math.round(
  os.totalmem() / 2 ** 30,
)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`

const selected = (group: string, suite: string) =>
  only === undefined ||
  only.some((word) => group.includes(word) || suite.toLowerCase().includes(word))

const fresh = new Map<string, StoredSuite>()

for (const group of groups) {
  for (const [name, factory] of group.suites) {
    if (!selected(group.name, name)) continue

    const ranAt = new Date().toISOString()
    const started = performance.now()
    const suite = await factory().catch(
      (error: unknown): SkippedSuite => ({ name, skipped: `could not be set up: ${error}` }),
    )
    if ('skipped' in suite) {
      console.log(`${skippedText(suite)}\n`)
      fresh.set(name, { name, machine, ranAt, quick, settings, skipped: suite.skipped, rows: [] })
      continue
    }

    let rows: readonly ResultRow[]
    if ('rows' in suite) {
      rows = suite.rows
    } else {
      try {
        rows = await runSuite(suite, settings)
      } finally {
        await suite.teardown?.()
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(`${markdownTable(suite, rows)}\n\n(${name}: ${seconds} s)\n`)

    const { operation, baseline, remarks } = suite
    fresh.set(name, {
      name,
      machine,
      ranAt,
      quick,
      settings,
      operation,
      baseline,
      remarks,
      rows,
    })
  }
}

const stored = only === undefined ? new Map<string, StoredSuite>() : readStored()
const all = groups
  .flatMap((group) => group.suites.map(([name]) => fresh.get(name) ?? stored.get(name)))
  .filter((suite): suite is StoredSuite => suite !== undefined)
const verdicts = verdictTable(judgeTargets(all.flatMap((suite) => suite.rows)))
console.log(`${verdicts}\n`)

const header = `Machine: ${machine}. Written ${new Date().toISOString()}.`
const sections = all.map((suite) => {
  const when = `${suite.quick ? 'Quick' : 'Full'} run of ${suite.ranAt}, ${
    suite.settings.rounds
  } interleaved rounds${suite.machine === machine ? '' : `, on ${suite.machine}`}.`
  if (suite.skipped !== undefined) return `${skippedText({ ...suite, skipped: suite.skipped })}`

  const heading = {
    name: suite.name,
    operation: suite.operation ?? '',
    baseline: suite.baseline ?? '',
    remarks: suite.remarks,
  }
  return `${markdownTable(heading, suite.rows)}\n\n${when}`
})

mkdirSync(resultsDir, { recursive: true })
writeFileSync(jsonFile, `${JSON.stringify({ machine, suites: all }, null, 2)}\n`)
writeFileSync(
  new URL('./latest.md', resultsDir),
  `${header}\n\n${sections.join('\n\n')}\n\n${verdicts}\n`,
)
if (docs) writeDocs(`${header}\n\n${sections.join('\n\n')}\n\n${verdicts}`)
console.log(header)

/** Puts the tables into docs/performance.md, between its two markers. */
function writeDocs(tables: string): void {
  const file = new URL('../docs/performance.md', import.meta.url)
  const [start, end] = ['<!-- bench:start -->', '<!-- bench:end -->']
  const text = readFileSync(file, 'utf8')
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`docs/performance.md lacks ${start} and ${end}`)

  const tablesOneLevelDown = tables.replaceAll(/^### /gm, '#### ')
  const next = `${text.slice(0, from + start.length)}\n\n${tablesOneLevelDown}\n\n${text.slice(to)}`
  writeFileSync(file, next)
}

function readStored(): Map<string, StoredSuite> {
  if (!existsSync(jsonFile)) return new Map()

  const parsed = JSON.parse(readFileSync(jsonFile, 'utf8')) as { suites?: StoredSuite[] }
  return new Map((parsed.suites ?? []).map((suite) => [suite.name, suite]))
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { badInputScenario } from './scenarios/bad-input'
import { functionRolloutScenario } from './scenarios/function-rollout'
import { isolationScenario } from './scenarios/isolation'
import { loadScenario } from './scenarios/load'
import { outageScenario } from './scenarios/outage'
import { rollingRestartScenario } from './scenarios/rolling-restart'
import { slowDatabaseScenario } from './scenarios/slow-database'
import { soakScenario } from './scenarios/soak'
import { reachable } from './support/database'
import type { Check, Scenario, ScenarioContext, ScenarioSettings } from './support/scenario'

/**
 * `npm run chaos` runs every scenario against the example server on loopback, each on a
 * throwaway PostgreSQL database behind a fault proxy, prints one markdown table of the
 * promises judged, writes `chaos/results/latest.json`, and exits 1 when a promise broke or
 * a scenario failed to run, 2 when PostgreSQL is not reachable (nothing is run then: every
 * scenario needs the real server behind the proxy; the short forms of the bad-input and
 * isolation scenarios run on PGlite inside `npm test`).
 *
 * Flags: `--only load,outage` runs those scenarios; `--quick` shortens every phase;
 * `--soak-seconds 300` runs the soak for the issue's full five minutes (default 90);
 * `--outage-seconds 31` changes how long the database stays away (default 20);
 * `--redis` routes `REDIS_URL` (default redis://127.0.0.1:6379) through a fault proxy too.
 */

const SCENARIOS: readonly Scenario[] = [
  loadScenario,
  outageScenario,
  slowDatabaseScenario,
  functionRolloutScenario,
  rollingRestartScenario,
  badInputScenario,
  isolationScenario,
  soakScenario,
]

const RESULTS = new URL('./results/latest.json', import.meta.url)

interface ScenarioResult {
  readonly name: string
  readonly title: string
  /** `held`: every promise held; `broken`: one did not; `error`: it could not finish. */
  readonly status: 'held' | 'broken' | 'error'
  readonly ranAt: string
  readonly quick: boolean
  readonly durationSeconds: number
  readonly checks: readonly Check[]
  readonly figures: Readonly<Record<string, unknown>>
  readonly notes: readonly string[]
  readonly error?: string
}

function write(line: string): void {
  process.stdout.write(`${line}\n`)
}

function flag(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name)
  return index >= 0 ? args[index + 1] : undefined
}

function seconds(args: readonly string[], name: string, fallback: number): number {
  const text = flag(args, name)
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1 || value > 3_600) {
    throw new RangeError(`${name} expects whole seconds from 1 to 3600, got ${text}`)
  }
  return value
}

async function runOne(scenario: Scenario, settings: ScenarioSettings): Promise<ScenarioResult> {
  const started = performance.now()
  const cleanUps: Array<() => unknown> = []
  const crashes: string[] = []
  const controller = new AbortController()
  const limitMs = scenario.timeLimitSeconds(settings) * 1_000
  const context: ScenarioContext = {
    settings,
    signal: controller.signal,
    log: (line) => write(`[${scenario.name}] ${line}`),
    defer: (cleanUp) => cleanUps.push(cleanUp),
    crashed: (description) => crashes.push(description),
  }
  const base = {
    name: scenario.name,
    title: scenario.title,
    ranAt: new Date().toISOString(),
    quick: settings.quick,
  }

  let timer: NodeJS.Timeout | undefined
  const timeLimit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new Error(`stopped after its time limit of ${limitMs / 1_000} s`))
    }, limitMs)
  })

  try {
    const outcome = await Promise.race([scenario.run(context), timeLimit])
    const checks =
      crashes.length === 0
        ? outcome.checks
        : [
            {
              promise: 'the server stays up',
              target: 'no crash',
              measured: `${crashes.length} crashed (${crashes[0]})`,
              held: false,
            },
            ...outcome.checks,
          ]
    const held = checks.every((c) => c.held)
    return {
      ...base,
      status: held ? 'held' : 'broken',
      durationSeconds: Math.round((performance.now() - started) / 1_000),
      checks,
      figures: outcome.figures,
      notes: outcome.notes ?? [],
    }
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    context.log(`failed: ${message}`)
    return {
      ...base,
      status: 'error',
      durationSeconds: Math.round((performance.now() - started) / 1_000),
      checks: [],
      figures: {},
      notes: [],
      error: error instanceof Error ? error.message : String(error),
    }
  } finally {
    clearTimeout(timer)
    controller.abort()
    for (const cleanUp of cleanUps.reverse()) {
      try {
        await cleanUp()
      } catch (error) {
        context.log(`clean-up failed: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }
}

/** The table of every promise judged, one row per promise. */
function table(results: readonly ScenarioResult[]): string {
  const rows = [
    '| scenario | promise | target | measured | verdict |',
    '| --- | --- | --- | --- | --- |',
  ]
  for (const result of results) {
    if (result.status === 'error') {
      rows.push(`| ${result.title} | runs to the end | - | ${result.error ?? ''} | ERROR |`)
      continue
    }
    for (const c of result.checks) {
      const verdict = c.held ? 'held' : 'BROKEN'
      rows.push(`| ${result.title} | ${c.promise} | ${c.target} | ${c.measured} | ${verdict} |`)
    }
  }
  return rows.join('\n')
}

function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  }
}

/** Keeps the results of scenarios this run did not run, each with the date it ran. */
function merged(results: readonly ScenarioResult[]): ScenarioResult[] {
  if (!existsSync(RESULTS)) return [...results]
  try {
    const earlier = JSON.parse(readFileSync(RESULTS, 'utf8')) as { scenarios?: ScenarioResult[] }
    const ran = new Set(results.map((r) => r.name))
    const kept = (earlier.scenarios ?? []).filter((r) => !ran.has(r.name))
    const order = SCENARIOS.map((s) => s.name)
    return [...kept, ...results].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
  } catch {
    return [...results]
  }
}

async function main(args: readonly string[]): Promise<number> {
  const only = flag(args, '--only')?.split(',')
  const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? []
  if (unknown.length > 0) {
    write(
      `unknown scenario ${unknown.join(', ')}; the scenarios are ` +
        SCENARIOS.map((s) => s.name).join(', '),
    )
    return 1
  }

  const settings: ScenarioSettings = {
    quick: args.includes('--quick'),
    soakSeconds: seconds(args, '--soak-seconds', args.includes('--quick') ? 20 : 90),
    outageSeconds: seconds(args, '--outage-seconds', args.includes('--quick') ? 8 : 20),
    databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    redisUrl: args.includes('--redis')
      ? process.env.REDIS_URL || 'redis://127.0.0.1:6379'
      : undefined,
  }

  const database = await reachable(settings.databaseUrl)
  if (!database.ok) {
    write(`PostgreSQL is not reachable at ${redactedUrl(settings.databaseUrl)}: ${database.reason}`)
    write('Every chaos scenario runs the example server against PostgreSQL through a fault')
    write('proxy, so none was run. Start PostgreSQL or set DATABASE_URL and run again.')
    write('(The short forms of the bad-input and isolation scenarios run on PGlite in npm test.)')
    return 2
  }

  const selected = SCENARIOS.filter((s) => only === undefined || only.includes(s.name))
  const results: ScenarioResult[] = []
  for (const scenario of selected) {
    write(`\n== ${scenario.title} (${scenario.name})`)
    const result = await runOne(scenario, settings)
    results.push(result)
    for (const c of result.checks) {
      write(
        `[${scenario.name}] ${c.held ? 'held  ' : 'BROKEN'} ${c.promise}: ` +
          `${c.measured} (target ${c.target})`,
      )
    }
    for (const note of result.notes) write(`[${scenario.name}] note: ${note}`)
  }

  const host = machine()
  write(`\n${table(results)}\n`)
  write(`machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}`)
  const everything = merged(results)
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  writeFileSync(
    RESULTS,
    `${JSON.stringify(
      {
        ranAt: new Date().toISOString(),
        command: `npm run chaos${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
        machine: host,
        settings: { ...settings, databaseUrl: redactedUrl(settings.databaseUrl) },
        scenarios: everything,
      },
      null,
      2,
    )}\n`,
  )
  write(`results: chaos/results/latest.json`)

  return results.every((r) => r.status === 'held') ? 0 : 1
}

function redactedUrl(url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.toString()
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
    // Sockets of a scenario that was stopped may still hold the event loop.
    setTimeout(() => process.exit(code), 1_000).unref()
  },
  (error: unknown) => {
    write(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
  },
)

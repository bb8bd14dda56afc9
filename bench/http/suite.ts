import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { MeasuredSuite } from '../harness'
import { drive, type LoadResult, type LoadSettings, type LoadTarget } from './load'
import { EXAMPLE_DIR, HERE, type ServerProcess, startServerProcess } from './processes'

/** One target's figures, medians over the rounds. */
export interface HttpRow {
  readonly target: string
  readonly includes: string
  readonly requestsPerSecond: number
  /** Requests per second over the bare Fastify route's, measured in the same round. */
  readonly throughputRatio: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly failures: number
  readonly rounds: number
}

/** How the HTTP suite runs. */
export interface HttpSettings extends LoadSettings {
  readonly rounds: number
}

const TOKEN = 'demo-alice-token'
const auth = { authorization: `Bearer ${TOKEN}` }

/**
 * The example server under autocannon beside a bare Fastify route, both in processes of their
 * own on this machine: the targets take turns, in an order that rotates each round, so a
 * drifting machine slows all of them alike, and each round's throughput is divided by the
 * bare route's from the same round.
 */
export async function runHttpSuite(settings: HttpSettings): Promise<HttpRow[]> {
  const database = await throwawayDatabase()
  const servers: ServerProcess[] = []

  try {
    const example = await startServerProcess('src/main.ts', EXAMPLE_DIR, database.env)
    servers.push(example)
    const cached = await fetch(`${example.url}/properties`, { headers: auth })
    const body = await cached.text()
    const bare = await startServerProcess('bare-server.ts', HERE, { BARE_BODY: body })
    servers.push(bare)

    const targets = targetsFor(example.url, bare.url)
    const results = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]))
    const ratios = new Map<string, number[]>(targets.map((t) => [t.name, []]))

    for (const target of targets) await drive(target, { ...settings, seconds: 1 })

    for (let round = 0; round < settings.rounds; round++) {
      const measured = new Map<string, LoadResult>()
      for (const target of rotate(targets, round)) {
        measured.set(target.name, await drive(target, settings))
      }

      const floor = (measured.get('bare Fastify route') as LoadResult).requestsPerSecond
      for (const [name, result] of measured) {
        results.get(name)?.push(result)
        ratios.get(name)?.push(result.requestsPerSecond / floor)
      }
    }

    return targets.map((target) => {
      const runs = results.get(target.name) ?? []
      return {
        target: target.name,
        includes: target.includes,
        requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
        throughputRatio: median(ratios.get(target.name) ?? []),
        p50: median(runs.map((r) => r.p50)),
        p95: median(runs.map((r) => r.p95)),
        p99: median(runs.map((r) => r.p99)),
        failures: runs.reduce((sum, r) => sum + r.failures, 0),
        rounds: settings.rounds,
      }
    })
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
    await database.drop()
  }
}

function targetsFor(example: string, bare: string): LoadTarget[] {
  return [
    {
      name: 'bare Fastify route',
      includes: 'the floor: routing and JSON of the same body, nothing else',
      url: `${bare}/bare`,
    },
    {
      name: 'GET /health/ping',
      includes: 'liveness from the health object, timed, tracked for the drain',
      url: `${example}/health/ping`,
    },
    {
      name: 'GET /properties (cached)',
      includes: 'validation, token check and read from the cache, timing, headers',
      url: `${example}/properties`,
      headers: auth,
    },
    {
      name: 'GET /properties?offset=n (uncached)',
      includes: 'a new cache key per request: a database function call each time',
      url: `${example}/properties`,
      headers: auth,
      path: (n) => `/properties?offset=${n % 1_000_000}`,
    },
    {
      name: 'PATCH /properties/1 (write)',
      includes: 'a write through its breaker, then the invalidation of its tags',
      url: `${example}/properties/1`,
      method: 'PATCH',
      headers: auth,
      body: (n) => JSON.stringify({ name: `Rua das Flores ${n % 1_000}` }),
    },
  ]
}

interface ThrowawayDatabase {
  readonly env: Record<string, string>
  drop(): Promise<void>
}

/** A database of the run's own: on `DATABASE_URL` when it is set, else a PGlite folder. */
async function throwawayDatabase(): Promise<ThrowawayDatabase> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url === '') {
    const dir = await mkdtemp(join(tmpdir(), 'bench-http-'))
    return { env: { DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) }
  }

  const name = `bench_http_${randomBytes(5).toString('hex')}`
  await withClient(url, (client) => client.query(`create database ${name}`))
  const target = new URL(url)
  target.pathname = `/${name}`

  return {
    env: { DATABASE_URL: target.toString() },
    drop: async () => {
      await withClient(url, (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      )
    },
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url)
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return Number.NaN

  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/**
 * The HTTP suite as rows of the benchmark report: time per request is the inverse of the
 * throughput, and the ratio is the bare route's throughput over the target's, so a higher
 * ratio is slower, as in every other table.
 */
export async function exampleServerSuite(settings: HttpSettings): Promise<MeasuredSuite> {
  const rows = await runHttpSuite(settings)

  return {
    name: 'Example server under load',
    operation:
      `one HTTP request over loopback, ${settings.connections} connections, ` +
      `${settings.seconds} s per target per round`,
    baseline: 'bare Fastify route',
    remarks: [
      'The example server and the bare route run in processes of their own; autocannon runs ' +
        'in the benchmark process, on the same two cores.',
      'Throughput share = requests per second over the bare route’s in the same round; ' +
        'latencies are the medians over rounds of each round’s percentile.',
      `Database: ${
        process.env.DATABASE_URL ? 'the PostgreSQL server at DATABASE_URL' : 'embedded PGlite'
      }.`,
    ],
    rows: rows.map((row) => ({
      suite: 'Example server under load',
      contender: row.target,
      includes: row.includes,
      nsPerOp: 1e9 / row.requestsPerSecond,
      ratio: 1 / row.throughputRatio,
      ratioLow: 1 / row.throughputRatio,
      ratioHigh: 1 / row.throughputRatio,
      rounds: row.rounds,
      note:
        `${Math.round(row.requestsPerSecond).toLocaleString('en-US')} req/s ` +
        `(${(row.throughputRatio * 100).toFixed(0)}% of bare), p50 ${row.p50.toFixed(2)} ms, ` +
        `p95 ${row.p95.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, ${row.failures} failed`,
      latencyMs: { p50: row.p50, p95: row.p95, p99: row.p99 },
    })),
  }
}

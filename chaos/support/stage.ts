import {
  createLandlords,
  createThrowawayDatabase,
  type Landlord,
  type ThrowawayDatabase,
} from './database'
import { createFaultProxy, type FaultProxy } from './fault-proxy'
import { type Client, createClient } from './http'
import { type Instance, startInstance } from './instance'
import type { ScenarioContext } from './scenario'

/** Everything a scenario runs against: a database, proxies, a server and landlords. */
export interface Stage {
  /** The scenario's own database, reachable straight (not through the proxy). */
  readonly database: ThrowawayDatabase
  /** Between the server and PostgreSQL. */
  readonly pgProxy: FaultProxy
  /** Between the server and Redis, with `--redis`. */
  readonly redisProxy: FaultProxy | undefined
  /** The `DATABASE_URL` servers get: the throwaway database through the proxy. */
  readonly databaseUrl: string
  /** The `REDIS_URL` servers get, through its proxy, if any. */
  readonly redisUrl: string | undefined
  /** The server the scenario started first. */
  readonly instance: Instance
  /** Every server the stage started, `instance` first. */
  readonly instances: readonly Instance[]
  /** The landlords created in SQL, in index order. */
  readonly landlords: readonly Landlord[]
  /** A keep-alive client for the instance. */
  readonly client: Client
  /** Starts another instance on the same database and proxies (cleaned up with the stage). */
  startAnother(env?: Readonly<Record<string, string>>): Promise<Instance>
}

/** Settings of {@link setUpStage}. */
export interface StageOptions {
  /** How many landlords to create. */
  readonly landlords: number
  /**
   * How many servers to start, all at once on the empty database: they race to prepare it.
   * @default 1
   */
  readonly instances?: number
  /** @default 3 */
  readonly propertiesEach?: number
  /** @default 2 */
  readonly unitsPerProperty?: number
  /** More environment for the server. */
  readonly env?: Readonly<Record<string, string>>
  /** @default 32 */
  readonly clientSockets?: number
  /** @default 15000 */
  readonly clientTimeoutMs?: number
}

/**
 * A throwaway database `chaos_<random>`, a fault proxy in front of PostgreSQL (and Redis
 * with `--redis`), the example server through them, and landlords created in SQL. All of it
 * is torn down after the scenario, the database dropped with `WITH (FORCE)`.
 */
export async function setUpStage(context: ScenarioContext, options: StageOptions): Promise<Stage> {
  const { settings } = context
  const database = await createThrowawayDatabase(settings.databaseUrl)
  context.defer(() => database.drop())

  const pgProxy = await proxyFor(context, settings.databaseUrl)
  const databaseUrl = pgProxy.urlFor(database.url)
  const redisProxy =
    settings.redisUrl === undefined ? undefined : await proxyFor(context, settings.redisUrl)
  const redisUrl =
    settings.redisUrl === undefined ? undefined : redisProxy?.urlFor(settings.redisUrl)

  const startAnother = async (env: Readonly<Record<string, string>> = {}) => {
    const instance = await startInstance({
      databaseUrl,
      redisUrl,
      // Scenarios sharing one Redis must not see each other's entries or invalidations.
      env: { CACHE_NAMESPACE: `chaos:${database.name}`, ...options.env, ...env },
    })
    context.defer(() => instance.kill())
    instance.exited.then(({ code, signal }) => {
      if (!instance.crashed) return
      const last = instance.logs.filter((line) => Number(line.level) >= 50).slice(-3)
      context.crashed(`${signal ?? `exit ${code}`}: ${lastLine(instance.stderr())}`)
      context.log(`the server ended by itself (${signal ?? `exit ${code}`})`)
      for (const line of last) context.log(`  ${JSON.stringify(line).slice(0, 2_000)}`)
      if (instance.stderr() !== '') context.log(`  stderr: ${instance.stderr().slice(-2_000)}`)
    })
    return instance
  }

  const instances = await Promise.all(
    Array.from({ length: options.instances ?? 1 }, () => startAnother()),
  )
  const instance = instances[0] as Instance
  const landlords = await createLandlords(database, {
    count: options.landlords,
    ...(options.propertiesEach === undefined ? {} : { propertiesEach: options.propertiesEach }),
    ...(options.unitsPerProperty === undefined
      ? {}
      : { unitsPerProperty: options.unitsPerProperty }),
  })
  const client = createClient(instance.url, {
    maxSockets: options.clientSockets ?? 32,
    timeoutMs: options.clientTimeoutMs ?? 15_000,
  })
  context.defer(() => client.close())
  context.log(
    `database ${database.name}, server ${instances.map((i) => i.url).join(' and ')}, ` +
      `${landlords.length} landlords`,
  )

  return {
    database,
    pgProxy,
    redisProxy,
    databaseUrl,
    redisUrl,
    instance,
    instances,
    landlords,
    client,
    startAnother,
  }
}

/** The line of a crash's stderr that names the error. */
function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim())
  return lines.find((line) => /^[A-Za-z]*Error\b/.test(line)) ?? lines.filter(Boolean).at(-1) ?? ''
}

async function proxyFor(context: ScenarioContext, url: string): Promise<FaultProxy> {
  const target = new URL(url)
  const proxy = await createFaultProxy({
    targetHost: target.hostname,
    targetPort: Number(target.port === '' ? defaultPort(target.protocol) : target.port),
  })
  context.defer(() => proxy.close())

  return proxy
}

function defaultPort(protocol: string): number {
  return protocol.startsWith('redis') ? 6379 : 5432
}

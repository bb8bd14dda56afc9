import { createHealth, type Health } from '@ballast/health'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { buildApp } from './app'
import { createServices, type ServicesOptions } from './create-services'
import { type Database, openDatabase } from './database'
import { healthRoutes } from './health-routes'
import { createMetrics } from './metrics'
import { prepareDatabase } from './schema'
import type { Services } from './services'
import { openSharedTier, type SharedTier } from './shared-tier'

/** A demo account the seed created, with its bearer token. */
export interface DemoAccount {
  readonly email: string
  readonly name: string
  readonly token: string
}

/** What {@link createServer} builds. */
export interface Server {
  readonly app: FastifyInstance
  readonly services: Services
  readonly health: Health
  readonly database: Database
  /** What connects this instance to the others. */
  readonly shared: SharedTier
  /** Empty when seeding was turned off. */
  readonly demoAccounts: readonly DemoAccount[]
  /** Drains and closes everything: the listener, the function client, the database. */
  close(): Promise<void>
}

/** How {@link createServer} builds the server. */
export interface ServerOptions extends Omit<ServicesOptions, 'db' | 'logger'> {
  /** A PostgreSQL URL; without one, embedded PGlite in `dataDir`. */
  readonly databaseUrl?: string | undefined
  /** PGlite's folder; undefined keeps the embedded database in memory. */
  readonly dataDir?: string | undefined
  /** A Redis server for the shared tier and the bus. */
  readonly redisUrl?: string | undefined
  /** An open database to use instead of opening one. */
  readonly database?: Database
  /** A pino instance for Fastify and the libraries; silent when omitted. */
  readonly logger?: FastifyBaseLogger
  /** Put demo data in an empty database. @default true */
  readonly seedDemoData?: boolean
  /** How long a client may take to send a whole request. @default 10000 */
  readonly requestTimeoutMs?: number
  /** Drain timings; see `createHealth`. */
  readonly drainDelayMs?: number
  readonly drainGraceMs?: number
}

/**
 * Builds the whole server: the database brought up to date (migrations, function
 * versions), demo data, the services, health with its checks and sources, and the HTTP app.
 * The caller listens and decides about signals.
 */
export async function createServer(options: ServerOptions = {}): Promise<Server> {
  const database =
    options.database ?? (await openDatabase({ url: options.databaseUrl, dataDir: options.dataDir }))
  const preparation = await prepareDatabase(database.db)
  options.logger?.info(preparation, 'database ready')

  const shared = await openSharedTier({
    redisUrl: options.redisUrl,
    namespace: options.cacheNamespace ?? 'property-api:v1',
    database,
    onNotReady: (error) =>
      options.logger?.warn({ err: error }, 'the invalidation bus is not listening yet'),
  })
  const services = await createServices({
    ...options,
    db: database.db,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(shared.store === undefined ? {} : { store: shared.store }),
    ...(shared.bus === undefined ? {} : { bus: shared.bus }),
  })
  const demoAccounts =
    options.seedDemoData === false
      ? []
      : await services.calls.call<DemoAccount[]>('seed_demo_data', [])

  const health = createHealth({
    description: 'property API',
    checks: [
      {
        // Not critical on purpose: with the database down this instance still answers
        // cached reads (stale) and fails writes fast. Taking every instance out of rotation
        // because the shared database is down would turn a partial outage into a total one.
        name: 'postgres',
        critical: false,
        componentType: 'datastore',
        timeoutMs: 2_000,
        intervalMs: 10_000,
        run: async () => {
          await database.db.query('select 1')
        },
      },
      ...shared.checks,
    ],
    sources: {
      breakers: services.breakers,
      caches: { reads: services.cache },
      timing: services.recorder,
    },
    readinessDelayMs: options.drainDelayMs ?? 5_000,
    graceMs: options.drainGraceMs ?? 10_000,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })

  const metrics = createMetrics(services)
  const app = buildApp({
    services,
    metrics,
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  })
  // Registered first so the drain closes the HTTP side before what the routes use.
  await healthRoutes(app, services, health)

  logBreakerChanges(services, options.logger)
  await health.start()

  health.addCloser('functions', () => services.functions.close())
  health.addCloser('cache', () => services.cache.close())
  health.addCloser('shared tier', () => shared.close())
  health.addCloser('database', () => database.close())

  return {
    app,
    services,
    health,
    database,
    shared,
    demoAccounts,
    close: async () => {
      await health.drain({ readinessDelayMs: 0, graceMs: 1_000, reason: 'close' })
    },
  }
}

/** One log line when a circuit opens, half-opens or closes: what an operator watches. */
function logBreakerChanges(services: Services, logger: FastifyBaseLogger | undefined): void {
  if (logger === undefined) return

  services.breakers.on('stateChange', (event) => {
    const line = { breaker: event.name, from: event.from, to: event.to, reason: event.reason }
    if (event.to === 'open') logger.warn(line, 'circuit opened')
    else logger.info(line, `circuit ${event.to}`)
  })
}

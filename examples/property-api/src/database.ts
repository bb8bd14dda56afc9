import { mkdir } from 'node:fs/promises'
import { fromPglite, fromPgPool, type Queryable } from '@ballast/pg'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

/** Where the data lives: a PostgreSQL server, or PGlite embedded in this process. */
export type DatabaseKind = 'postgres' | 'pglite'

/**
 * The server's database handle. `db` stays the same object for the life of the process, so
 * everything built on it keeps working when the connection behind it is stopped and started
 * again: that is how an outage is simulated for real (the pool closed, or PGlite shut down)
 * and how the server recovers from one.
 */
export interface Database {
  /** What the data lives in. */
  readonly kind: DatabaseKind
  /** The connection every query goes through. */
  readonly db: Queryable
  /** Whether queries can run now. */
  readonly running: boolean
  /** Closes the connection; queries fail with {@link DatabaseStoppedError} until `start()`. */
  stop(): Promise<void>
  /** Opens the connection again after `stop()`. */
  start(): Promise<void>
  /** Closes for good. */
  close(): Promise<void>
}

/** What {@link openDatabase} connects to. */
export interface DatabaseOptions {
  /** A PostgreSQL URL; without one, PGlite embedded in `dataDir`. */
  readonly url?: string | undefined
  /** PGlite's data folder; `undefined` keeps the embedded database in memory. */
  readonly dataDir?: string | undefined
  /** Per-statement limit on a real server, in milliseconds. Default 5000. */
  readonly statementTimeoutMs?: number
}

/** A query reached a database handle that was stopped. */
export class DatabaseStoppedError extends Error {
  /** Stable code of this error. */
  readonly code = 'PROPERTY_API_DATABASE_STOPPED'

  constructor() {
    super('the database connection is stopped')
    this.name = 'DatabaseStoppedError'
  }
}

interface Backend {
  readonly db: Queryable
  /** Cuts the connection now, without waiting for work that holds a connection. */
  stop(): Promise<void>
  /** Closes once the work holding connections let go of them. */
  close(): Promise<void>
}

/** Opens the database the configuration names. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const open =
    options.url === undefined
      ? () => openPglite(options.dataDir)
      : () => openPostgres(options.url as string, options.statementTimeoutMs ?? 5_000)
  let backend: Backend | undefined = await open()

  const current = (): Queryable => {
    if (backend === undefined) throw new DatabaseStoppedError()
    return backend.db
  }

  const db: Queryable = {
    query: async (text, params) => current().query(text, params),
    transaction: async (work) => current().transaction(work),
    listen: async (channel, onMessage, onError) => {
      const listen = current().listen
      if (listen === undefined) return async () => {}
      return listen(channel, onMessage, onError)
    },
  }

  return {
    kind: options.url === undefined ? 'pglite' : 'postgres',
    db,
    get running() {
      return backend !== undefined
    },
    async stop() {
      const stopping = backend
      backend = undefined
      await stopping?.stop()
    },
    async start() {
      if (backend === undefined) backend = await open()
    },
    async close() {
      const closing = backend
      backend = undefined
      await closing?.close()
    },
  }
}

async function openPglite(dataDir: string | undefined): Promise<Backend> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true })

  const pglite = await PGlite.create(dataDir === undefined ? {} : { dataDir })

  const close = () => pglite.close()

  return { db: fromPglite(pglite), stop: close, close }
}

async function openPostgres(url: string, statementTimeoutMs: number): Promise<Backend> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
  })

  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process. The next query fails and the breaker sees it instead.
  pool.on('error', () => {})

  return {
    db: fromPgPool(pool),
    // A pool ends once every checked-out client is back, and a NOTIFY listener keeps one
    // checked out until it unsubscribes: an outage must not wait for that.
    stop: async () => {
      pool.end().catch(() => {})
    },
    close: () => pool.end(),
  }
}

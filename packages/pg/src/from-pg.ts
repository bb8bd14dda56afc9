import { quoteIdent } from './identifiers'
import type { Queryable, QueryResult, TransactionQueryable } from './queryable'

/** A `pg` notification message. */
export interface PgNotification {
  /** The channel. */
  readonly channel: string
  /** The payload, when one was sent. */
  readonly payload?: string | undefined
}

/** The part of `pg.ClientBase` the adapters use; a structural type, so `pg` is not imported. */
export interface PgClientLike {
  /** `pg`'s `client.query(text, values)`. */
  query(text: string, values?: unknown[]): Promise<unknown>
  /** `pg`'s `client.on('notification', ...)`. */
  on(event: 'notification', listener: (message: PgNotification) => void): unknown
  /** `pg`'s `client.on('error', ...)`. */
  on(event: 'error', listener: (error: Error) => void): unknown
  /** `pg`'s `client.on('end', ...)`: the connection closed. */
  on(event: 'end', listener: () => void): unknown
  /** `pg`'s `client.off` (an EventEmitter method). */
  off(event: 'notification', listener: (message: PgNotification) => void): unknown
  /** `pg`'s `client.off('error', ...)`. */
  off(event: 'error', listener: (error: Error) => void): unknown
  /** `pg`'s `client.off('end', ...)`. */
  off(event: 'end', listener: () => void): unknown
}

/** A `pg.Client` the adapter connects and ends itself: the one a NOTIFY listener holds. */
export interface PgListenerClientLike extends PgClientLike {
  /** `pg`'s `client.connect()`. */
  connect(): Promise<unknown>
  /** `pg`'s `client.end()`. */
  end(): Promise<unknown>
}

/** A checked-out `pg` pool client. */
export interface PgPoolClientLike extends PgClientLike {
  /** Returns the client to the pool; `true` or an error destroys it instead. */
  release(destroy?: boolean | Error): void
}

/** The part of `pg.Pool` the adapter uses. */
export interface PgPoolLike {
  /** `pg`'s `pool.query(text, values)`. */
  query(text: string, values?: unknown[]): Promise<unknown>
  /** `pg`'s `pool.connect()`. */
  connect(): Promise<PgPoolClientLike>
  /** `pg`'s `pool.options`: the configuration a listener connection is opened with. */
  readonly options?: unknown
}

/** Options of {@link fromPgPool}. */
export interface PgPoolAdapterOptions {
  /**
   * Creates the client a NOTIFY subscription holds, not yet connected; the adapter
   * connects it, and ends it on unsubscribe. It must not come from the pool: a pool
   * closes idle clients and hands out clients whose session state others changed.
   * @default a client of the pool's own `Client` class with the pool's `options`, which
   * `pg.Pool` exposes; without them the adapter offers no `listen`
   */
  readonly listenerClient?: () => PgListenerClientLike
}

/** The part of a `pg` query result the adapters read (one statement or several). */
type PgResultLike = { rows: unknown[] } | { rows: unknown[] }[]

function lastResult<Row>(result: unknown): QueryResult<Row> {
  const value = result as PgResultLike
  const last = Array.isArray(value) ? value[value.length - 1] : value
  return { rows: (last?.rows ?? []) as Row[] }
}

function pgQuery(client: { query(text: string, values?: unknown[]): Promise<unknown> }) {
  // `pg` reads the values without changing them, so the caller's array is passed as is.
  return async <Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> =>
    lastResult<Row>(await client.query(text, params as unknown[] | undefined))
}

/**
 * Listens on `client` and reports, once, a failure after the LISTEN succeeded. `release`
 * is what unsubscribing (or a failure) does with the connection.
 */
async function listenOn(
  client: PgClientLike,
  channel: string,
  handlers: { onMessage: (payload: string) => void; onError?: (error: unknown) => void },
  release: () => Promise<void>,
): Promise<() => Promise<void>> {
  let live = false
  let over = false
  let released: Promise<void> = Promise.resolve()
  const notification = (message: PgNotification) => {
    if (message.channel === channel) handlers.onMessage(message.payload ?? '')
  }
  const detach = () => {
    client.off('notification', notification)
    client.off('error', failed)
    client.off('end', ended)
  }
  function failed(error: unknown) {
    if (over) return
    over = true
    detach()
    released = release().catch(() => undefined)
    if (live) handlers.onError?.(error)
  }
  function ended() {
    failed(new Error(`The connection listening on ${channel} ended`))
  }

  client.on('notification', notification)
  client.on('error', failed)
  client.on('end', ended)
  try {
    await client.query(`LISTEN ${quoteIdent(channel)}`)
  } catch (error) {
    failed(error)
    throw error
  }
  if (over) throw new Error(`The connection listening on ${channel} failed`)
  live = true

  return async () => {
    if (over) return released
    over = true
    try {
      await release()
    } finally {
      detach()
    }
  }
}

async function runTransaction<T>(
  client: PgClientLike,
  work: (tx: TransactionQueryable) => Promise<T>,
  onBroken: () => void = () => undefined,
): Promise<T> {
  try {
    await client.query('BEGIN')
    const result = await work({ query: pgQuery(client) })
    await client.query('COMMIT')
    return result
  } catch (error) {
    // A failed ROLLBACK (a broken connection) must not hide the error that caused it.
    await client.query('ROLLBACK').catch(onBroken)
    throw error
  }
}

function defaultListenerClient(pool: PgPoolLike): (() => PgListenerClientLike) | undefined {
  const Client: unknown = Reflect.get(pool, 'Client')
  if (typeof Client !== 'function' || pool.options === undefined) return undefined
  const Listener = Client as new (options: unknown) => PgListenerClientLike
  return () => new Listener(pool.options)
}

/**
 * Adapts a `pg.Pool`. Queries go to the pool; a transaction checks out one client for
 * its duration. `listen` opens a dedicated connection outside the pool for each
 * subscription (see {@link PgPoolAdapterOptions.listenerClient}) and ends it on
 * unsubscribe; when that connection fails, `onError` is told and the subscriber opens a
 * new subscription.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * const db = fromPgPool(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 * ```
 */
export function fromPgPool(pool: PgPoolLike, options: PgPoolAdapterOptions = {}): Queryable {
  if (options.listenerClient !== undefined && typeof options.listenerClient !== 'function') {
    const received = typeof options.listenerClient
    throw new TypeError(
      `fromPgPool: options.listenerClient must be a function, received ${received}`,
    )
  }
  const listenerClient = options.listenerClient ?? defaultListenerClient(pool)

  const db: Queryable = {
    query: pgQuery(pool),
    async transaction(work) {
      const client = await pool.connect()
      let broken = false
      // The pool listens for errors of idle clients only. A checked-out client whose
      // connection dies emits `error` too, and an `error` nobody listens to ends the
      // process: the transaction's own query already rejects, so this only marks the client
      // as broken, to be destroyed instead of reused.
      const onError = () => {
        broken = true
      }
      client.on('error', onError)
      try {
        return await runTransaction(client, work, onError)
      } finally {
        client.off('error', onError)
        client.release(broken)
      }
    },
  }
  if (!listenerClient) return db

  db.listen = async (channel, onMessage, onError) => {
    const client = listenerClient()
    // An error after `end()` or before `connect()` settles must not crash the process.
    client.on('error', () => undefined)
    const end = async () => {
      await client.end()
    }
    try {
      await client.connect()
    } catch (error) {
      await end().catch(() => undefined)
      throw error
    }
    return listenOn(client, channel, { onMessage, ...(onError ? { onError } : {}) }, end)
  }
  return db
}

/**
 * Adapts one connected `pg.Client`. Its transactions run one after another on that
 * connection (the adapter queues them). A plain `query` issued while a transaction is
 * open runs inside it, as `pg` sends everything down one connection in order: use a pool
 * when work runs concurrently. `listen` uses this same connection, so a subscription
 * cannot outlive it: once it fails, subscribing again fails too.
 *
 * @example
 * ```ts
 * const client = new pg.Client(process.env.DATABASE_URL)
 * await client.connect()
 * const db = fromPgClient(client)
 * ```
 */
export function fromPgClient(client: PgClientLike): Queryable {
  let queue: Promise<unknown> = Promise.resolve()
  const unlisten = (channel: string) => async () => {
    await client.query(`UNLISTEN ${quoteIdent(channel)}`)
  }

  return {
    query: pgQuery(client),
    transaction(work) {
      const run = queue.then(() => runTransaction(client, work))
      queue = run.catch(() => undefined)
      return run
    },
    listen: (channel, onMessage, onError) =>
      listenOn(client, channel, { onMessage, ...(onError ? { onError } : {}) }, unlisten(channel)),
  }
}

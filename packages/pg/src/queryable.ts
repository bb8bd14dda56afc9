/** One result: the rows, as objects keyed by column name. */
export interface QueryResult<Row = Record<string, unknown>> {
  /** The rows of the (last) statement. */
  readonly rows: Row[]
}

/**
 * What every `@ballast/pg` feature needs from a database connection.
 *
 * Contract: `query(text, params)` runs one statement with bound parameters. When `params`
 * is omitted, `text` may hold several statements (a migration file, a function
 * definition) and the rows of the last one are returned. `transaction` runs `work` on a
 * single connection between `BEGIN` and `COMMIT`, rolling back if `work` rejects.
 */
export interface Queryable {
  /** Runs SQL text with bound parameters. */
  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>>
  /** Runs `work` inside one transaction on one connection. */
  transaction<T>(work: (tx: TransactionQueryable) => Promise<T>): Promise<T>
  /**
   * Subscribes to a NOTIFY channel; resolves to an unsubscribe function. `onError` hears
   * of a failed listener connection (no more notifications arrive after it). Optional:
   * without it the function client refreshes on its interval only.
   */
  listen?(
    channel: string,
    onMessage: (payload: string) => void,
    onError?: (error: unknown) => void,
  ): Promise<() => Promise<void>>
}

/** The connection handed to a transaction's work: queries only. */
export interface TransactionQueryable {
  /** Runs SQL text with bound parameters, inside the transaction. */
  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>>
}

/** The part of a `pg` query result the adapters read (one statement or several). */
type PgResultLike = { rows: unknown[] } | { rows: unknown[] }[]

/** The part of `pg.ClientBase` the adapters use; a structural type, so `pg` is not imported. */
export interface PgClientLike {
  /** `pg`'s `client.query(text, values)`. */
  query(text: string, values?: unknown[]): Promise<unknown>
  /** `pg`'s `client.on('notification' | 'error', ...)`. */
  on(event: 'notification', listener: (message: PgNotification) => void): unknown
  /** `pg`'s `client.on('error', ...)`. */
  on(event: 'error', listener: (error: Error) => void): unknown
  /** `pg`'s `client.off` (an EventEmitter method). */
  off(event: 'notification', listener: (message: PgNotification) => void): unknown
  /** `pg`'s `client.off('error', ...)`. */
  off(event: 'error', listener: (error: Error) => void): unknown
}

/** A `pg` notification message. */
export interface PgNotification {
  /** The channel. */
  readonly channel: string
  /** The payload, when one was sent. */
  readonly payload?: string | undefined
}

/** A checked-out `pg` pool client. */
export interface PgPoolClientLike extends PgClientLike {
  /** Returns the client to the pool; `true` destroys it instead. */
  release(destroy?: boolean | Error): void
}

/** The part of `pg.Pool` the adapter uses. */
export interface PgPoolLike {
  /** `pg`'s `pool.query(text, values)`. */
  query(text: string, values?: unknown[]): Promise<unknown>
  /** `pg`'s `pool.connect()`. */
  connect(): Promise<PgPoolClientLike>
}

/** The part of a PGlite instance (or its transaction) the adapter uses. */
export interface PgliteLike {
  /** PGlite's `query(text, params)`: one statement, bound parameters. */
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>
  /** PGlite's `exec(text)`: several statements, no parameters. */
  exec(text: string): Promise<{ rows: unknown[] }[]>
  /** PGlite's `transaction(callback)`. */
  transaction<T>(callback: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>
  /** PGlite's `listen(channel, callback)`. */
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>
}

/** The part of a PGlite transaction the adapter uses. */
export interface PgliteTransactionLike {
  /** PGlite's `tx.query(text, params)`. */
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>
  /** PGlite's `tx.exec(text)`. */
  exec(text: string): Promise<{ rows: unknown[] }[]>
}

function lastResult<Row>(result: unknown): QueryResult<Row> {
  const value = result as PgResultLike
  const last = Array.isArray(value) ? value[value.length - 1] : value
  return { rows: (last?.rows ?? []) as Row[] }
}

function pgQuery(client: { query(text: string, values?: unknown[]): Promise<unknown> }) {
  return async <Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> =>
    lastResult<Row>(await client.query(text, params ? [...params] : undefined))
}

function quoteChannel(channel: string): string {
  return `"${channel.replaceAll('"', '""')}"`
}

async function listenOn(
  client: PgClientLike,
  channel: string,
  onMessage: (payload: string) => void,
  onError: (error: unknown) => void = () => undefined,
): Promise<() => Promise<void>> {
  const listener = (message: PgNotification) => {
    if (message.channel === channel) onMessage(message.payload ?? '')
  }
  // Without an error listener a dropped connection would crash the process.
  const failed = (error: Error) => onError(error)

  client.on('notification', listener)
  client.on('error', failed)
  await client.query(`LISTEN ${quoteChannel(channel)}`)

  return async () => {
    client.off('notification', listener)
    client.off('error', failed)
    await client.query(`UNLISTEN ${quoteChannel(channel)}`)
  }
}

async function runTransaction<T>(
  client: PgClientLike,
  work: (tx: TransactionQueryable) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN')
  try {
    const result = await work({ query: pgQuery(client) })
    await client.query('COMMIT')
    return result
  } catch (error) {
    // A failed ROLLBACK (a broken connection) must not hide the error that caused it.
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}

/**
 * Adapts a `pg.Pool`. Transactions check out one client; `listen` checks out a client
 * of its own and holds it until unsubscribed (a pooled client that sits idle would be
 * closed by the pool, so the listener keeps it checked out; it costs one pool slot).
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * const db = fromPgPool(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 * ```
 */
export function fromPgPool(pool: PgPoolLike): Queryable {
  return {
    query: pgQuery(pool),
    async transaction(work) {
      const client = await pool.connect()
      try {
        const result = await runTransaction(client, work)
        client.release()
        return result
      } catch (error) {
        client.release(true)
        throw error
      }
    },
    async listen(channel, onMessage, onError) {
      const client = await pool.connect()
      let broken: Error | undefined
      let released = false
      const unlisten = await listenOn(client, channel, onMessage, (error) => {
        broken = error instanceof Error ? error : new Error(String(error))
        onError?.(error)
      })
      return async () => {
        if (released) return
        released = true
        try {
          if (!broken) await unlisten()
        } finally {
          client.release(broken)
        }
      }
    },
  }
}

/**
 * Adapts one connected `pg.Client`. Its transactions run one after another on that
 * connection (the adapter queues them). A plain `query` issued while a transaction is
 * open runs inside it, as `pg` sends everything down one connection in order: use a pool
 * when work runs concurrently.
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

  return {
    query: pgQuery(client),
    transaction(work) {
      const run = queue.then(() => runTransaction(client, work))
      queue = run.catch(() => undefined)
      return run
    },
    listen: (channel, onMessage, onError) => listenOn(client, channel, onMessage, onError),
  }
}

function pgliteQuery(db: PgliteTransactionLike) {
  return async <Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> => {
    if (params === undefined) return lastResult<Row>(await db.exec(text))
    return { rows: (await db.query<Row>(text, [...params])).rows }
  }
}

/**
 * Adapts a PGlite instance. Text without parameters goes through `exec`, so it may hold
 * several statements. PGlite has one connection: its transactions and queries run one at
 * a time.
 *
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite'
 * const db = fromPglite(new PGlite())
 * ```
 */
export function fromPglite(db: PgliteLike): Queryable {
  return {
    query: pgliteQuery(db),
    transaction: (work) => db.transaction((tx) => work({ query: pgliteQuery(tx) })),
    listen: (channel, onMessage) => db.listen(channel, onMessage),
  }
}

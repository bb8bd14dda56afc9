import type { Queryable, QueryResult } from './queryable'

/** The part of a PGlite transaction the adapter uses. */
export interface PgliteTransactionLike {
  /** PGlite's `tx.query(text, params)`. */
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>
  /** PGlite's `tx.exec(text)`. */
  exec(text: string): Promise<{ rows: unknown[] }[]>
}

/** The part of a PGlite instance the adapter uses. */
export interface PgliteLike extends PgliteTransactionLike {
  /** PGlite's `transaction(callback)`. */
  transaction<T>(callback: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>
  /** PGlite's `listen(channel, callback)`. */
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>
}

function pgliteQuery(db: PgliteTransactionLike) {
  return async <Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> => {
    if (params === undefined) {
      const results = await db.exec(text)
      return { rows: (results[results.length - 1]?.rows ?? []) as Row[] }
    }
    // PGlite reads the values without changing them, so the caller's array is passed as is.
    return { rows: (await db.query<Row>(text, params as unknown[])).rows }
  }
}

/**
 * Adapts a PGlite instance. Text without parameters goes through `exec`, so it may hold
 * several statements. PGlite has one connection: its transactions and queries run one at
 * a time, and its `listen` cannot fail the way a network connection does.
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

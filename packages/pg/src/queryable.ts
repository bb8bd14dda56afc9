/** One result: the rows, as objects keyed by column name. */
export interface QueryResult<Row = Record<string, unknown>> {
  /** The rows of the (last) statement. */
  readonly rows: Row[]
}

/**
 * What every `@ballast/pg` feature needs from a database connection. `fromPgPool`,
 * `fromPgClient` and `fromPglite` build one; any object of this shape works.
 *
 * Contract: `query(text, params)` runs one statement with bound parameters. When `params`
 * is omitted, `text` may hold several statements (a migration file, a function
 * definition) and the rows of the last one are returned. `params` is read, never
 * changed. `transaction` runs `work` on a single connection between `BEGIN` and
 * `COMMIT`, rolling back if `work` rejects.
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
   * Subscribes to a NOTIFY channel; resolves to an unsubscribe function once the
   * subscription is in place, and rejects when it cannot be set up. `onError` hears,
   * at most once, that an established subscription broke (its connection failed or
   * ended): no more notifications arrive after it, calling the unsubscribe function is
   * then harmless, and the subscriber subscribes again to recover. Optional: without it
   * the function client refreshes on its interval only.
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

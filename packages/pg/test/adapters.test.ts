import { fromPglite, fromPgPool, type PgListenerClientLike, type Queryable } from '@ballast/pg'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, databaseUrl, openTestDatabase, type TestDatabase } from './support/database'

/** Resolves with the next payload `listen` delivers on `channel`, and the unsubscribe. */
async function subscribe(db: Queryable, channel: string) {
  let received: (payload: string) => void = () => undefined
  const payload = new Promise<string>((resolve) => {
    received = resolve
  })
  let failed: (error: unknown) => void = () => undefined
  const failure = new Promise<unknown>((resolve) => {
    failed = resolve
  })
  let failures = 0
  const listen = db.listen as NonNullable<Queryable['listen']>
  const stop = await listen(
    channel,
    (p) => received(p),
    (error) => {
      failures++
      failed(error)
    },
  )
  return { payload, failure, failures: () => failures, stop }
}

describe(`Queryable adapters (${backend})`, () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await openTestDatabase()
  })
  afterAll(() => t.close())

  it('runs text without parameters as several statements, returning the last rows', async () => {
    const { rows } = await t.db.query('create temp table several (n int); select 1 as n, 2 as m')
    expect(rows).toEqual([{ n: 1, m: 2 }])
  })

  it('rolls a failed transaction back and keeps working', async () => {
    await t.db.query('create table ledger (n int)')
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query('insert into ledger values ($1)', [1])
        await tx.query('select * from missing_table', [])
      }),
    ).rejects.toThrow('missing_table')
    const committed = await t.db.transaction(async (tx) => {
      await tx.query('insert into ledger values ($1)', [2])
      return 'done'
    })

    expect(committed).toBe('done')
    expect((await t.db.query('select n from ledger', [])).rows).toEqual([{ n: 2 }])
  })

  it('delivers NOTIFY payloads to listen and stops on unsubscribe', async () => {
    const { payload, stop } = await subscribe(t.db, 'adapter_news')
    await t.db.query(`select pg_notify('adapter_news', 'hello')`, [])
    expect(await payload).toBe('hello')
    await stop()
    await stop() // a second unsubscribe is harmless
  })

  it('offers no listen for a pool-like object that cannot open its own connection', () => {
    const poolLike = { query: async () => ({ rows: [] }), connect: async () => never() }
    expect(fromPgPool(poolLike).listen).toBeUndefined()
    expect(() => fromPgPool(poolLike, { listenerClient: 'x' as never })).toThrow(
      'fromPgPool: options.listenerClient must be a function, received string',
    )
  })

  it('adapts PGlite instances and their transactions', async () => {
    const lite = new PGlite()
    const db = fromPglite(lite)
    const inside = await db.transaction(async (tx) => {
      await tx.query('create table t (n int); insert into t values (1), (2)')
      return (await tx.query<{ n: number }>('select n from t where n > $1', [1])).rows
    })
    expect(inside).toEqual([{ n: 2 }])
    await lite.close()
  })

  describe.skipIf(!databaseUrl)('fromPgPool on a real server (needs DATABASE_URL)', () => {
    let pool: pg.Pool

    beforeAll(() => {
      pool = new pg.Pool({ connectionString: t.url, max: 2, application_name: 'ballast_adapter' })
      pool.on('error', () => undefined)
    })
    afterAll(() => pool.end())

    it('listens on a connection of its own, outside the pool', async () => {
      const db = fromPgPool(pool)
      const { payload, stop } = await subscribe(db, 'own_connection')
      const { rows } = await db.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where application_name = 'ballast_adapter' and query ilike 'listen %'`,
        [],
      )

      expect(rows).toEqual([{ n: 1 }])
      expect(pool.totalCount - pool.idleCount).toBe(0) // no pooled client is held
      await db.query(`select pg_notify('own_connection', 'x')`, [])
      expect(await payload).toBe('x')
      await stop()
    })

    it('ends the listener connection on unsubscribe and reports its loss once', async () => {
      const opened: { client: PgListenerClientLike; ended: boolean }[] = []
      const db = fromPgPool(pool, {
        listenerClient() {
          const client = new pg.Client(t.url)
          const entry = { client, ended: false }
          client.on('end', () => {
            entry.ended = true
          })
          opened.push(entry)
          return client
        },
      })

      const first = await subscribe(db, 'short_lived')
      await first.stop()
      expect(opened[0]?.ended).toBe(true)

      const second = await subscribe(db, 'short_lived')
      await db.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and query ilike 'listen %'
            and pid <> pg_backend_pid()`,
        [],
      )
      expect(await second.failure).toBeInstanceOf(Error)
      await second.stop()
      expect(second.failures()).toBe(1) // the error and the end are one loss
      expect(opened[1]?.ended).toBe(true)
    })
  })
})

function never(): never {
  throw new Error('not used')
}

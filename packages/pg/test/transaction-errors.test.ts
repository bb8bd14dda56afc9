import { fromPgPool } from '@ballast/pg'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databaseUrl, openTestDatabase, type TestDatabase } from './support/database'

describe('fromPgPool transactions when the connection dies', () => {
  let t: TestDatabase | undefined

  beforeAll(async () => {
    if (databaseUrl !== undefined) t = await openTestDatabase()
  })
  afterAll(() => t?.close())

  // needs DATABASE_URL: the connection is ended by the server, which PGlite has no part of
  it.skipIf(databaseUrl === undefined)(
    'rejects the transaction instead of crashing the process, retiring the client',
    async () => {
      const target = t as TestDatabase
      const pool = new pg.Pool({ connectionString: target.url, max: 1 })
      pool.on('error', () => undefined)
      const db = fromPgPool(pool)
      const admin = await target.extraConnection()

      const running = db.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('select pg_backend_pid() as pid')
        await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid])
        await tx.query('select pg_sleep(0.2)')
        return 'committed'
      })

      await expect(running).rejects.toThrow()
      // The pool's one slot works again: the broken client was destroyed, not reused.
      await expect(db.query('select 1 as one')).resolves.toEqual({ rows: [{ one: 1 }] })
      await pool.end()
    },
  )
})

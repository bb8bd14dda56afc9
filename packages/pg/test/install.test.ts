import { readFile } from 'node:fs/promises'
import { install, installSql, type Queryable } from '@ballast/pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

describe(`install (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
  })
  afterAll(() => t.close())

  it('ships sql/install.sql equal to the embedded DDL for the default schema', async () => {
    const shipped = await readFile(new URL('../sql/install.sql', import.meta.url), 'utf8')
    expect(shipped).toBe(installSql('ballast'))
  })

  it('creates the registry and can run again without error', async () => {
    await install(db)
    await install(db)

    const { rows } = await db.query<{ table_name: string }>(
      `select table_name from information_schema.tables
        where table_schema = 'ballast' order by table_name`,
      [],
    )
    expect(rows.map((r) => r.table_name)).toEqual([
      'activations',
      'function_versions',
      'migrations',
    ])
  })

  it('installs into a chosen schema', async () => {
    await install(db, { schema: 'ops_registry' })
    const { rows } = await db.query(
      `select 1 from information_schema.tables where table_schema = 'ops_registry'`,
      [],
    )
    expect(rows.length).toBe(3)
  })

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(install(db, { schema: 'x"; drop schema public; --' })).rejects.toMatchObject({
      code: 'BALLAST_PG_INVALID_IDENTIFIER',
    })
  })
})

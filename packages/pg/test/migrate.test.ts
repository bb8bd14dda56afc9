import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  activate,
  deployFunction,
  isChecksumMismatchError,
  isMigrationLintError,
  migrate,
  migrateDown,
  type Queryable,
} from '@ballast/pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

describe(`migrate and migrateDown (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable
  let dir: string

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
  })
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-pg-migrations-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
    await t.close()
  })

  const file = (name: string, sql: string) => writeFile(join(dir, name), sql)
  const tables = async () => {
    const { rows } = await db.query<{ t: string }>(
      `select table_name as t from information_schema.tables
        where table_schema = 'public' order by 1`,
      [],
    )
    return rows.map((r) => r.t)
  }

  it('applies files once each, in numeric order, recording their down scripts', async () => {
    await file('10_rooms.sql', 'alter table homes add column rooms int;')
    await file('2_homes.sql', 'create table homes (id int primary key);')
    await file('2_homes.down.sql', 'drop table homes;')
    await file('10_rooms.down.sql', '-- ballast:allow drop-column\nalter table homes drop rooms;')

    expect(await migrate(db, dir)).toEqual({ migrations: ['2_homes.sql', '10_rooms.sql'] })
    expect(await migrate(db, dir)).toEqual({ migrations: [] })

    const { rows } = await db.query<{ id: string; checksum: string }>(
      'select id, checksum from ballast.migrations order by applied_order',
      [],
    )
    expect(rows.map((r) => r.id)).toEqual(['2_homes.sql', '10_rooms.sql'])
    expect(rows[0]?.checksum).toMatch(/^[0-9a-f]{64}$/)

    expect(await migrateDown(db, 2)).toEqual({ migrations: ['10_rooms.sql', '2_homes.sql'] })
    expect(await tables()).toEqual([])
  })

  it('refuses a changed checksum before applying anything', async () => {
    await file('1_a.sql', 'create table a (id int);')
    await migrate(db, dir)
    await file('1_a.sql', 'create table a (id bigint);')
    await file('2_b.sql', 'create table b (id int);')

    const error = await migrate(db, dir).catch((e: unknown) => e)
    expect(isChecksumMismatchError(error)).toBe(true)
    expect((error as Error).message).toContain('1_a.sql')
    expect(await tables()).toEqual(['a'])
    await db.query('drop table a; delete from ballast.migrations')
  })

  it('rolls back a failing file whole and names it', async () => {
    await file('1_half.sql', 'create table half (id int); select * from missing_table;')
    await expect(migrate(db, dir)).rejects.toMatchObject({
      code: 'BALLAST_PG_MIGRATION',
      message: expect.stringContaining('1_half.sql'),
    })
    expect(await tables()).toEqual([])
  })

  it('refuses a pending file that breaks running versions unless annotated', async () => {
    await deployFunction(db, {
      name: 'homes_count',
      version: 1,
      sql: 'create function homes_count() returns int language sql as $$ select 1 $$',
    })
    await activate(db, 'homes_count', 1)
    await file('1_drop.sql', 'drop function homes_count__v1();')

    const error = await migrate(db, dir).catch((e: unknown) => e)
    expect(isMigrationLintError(error)).toBe(true)
    expect(error).toMatchObject({ findings: [{ rule: 'drop-function', line: 1 }] })

    await file('1_drop.sql', '-- ballast:allow drop-function\nselect 1;')
    expect(await migrate(db, dir)).toEqual({ migrations: ['1_drop.sql'] })
  })

  it('applies and reverts each file once when two instances run at the same time', async () => {
    await file('1_rooms.sql', 'create table rooms (id int);')
    await file('1_rooms.down.sql', 'drop table rooms;')
    await file('2_beds.sql', 'create table beds (id int);')
    await file('2_beds.down.sql', 'drop table beds;')
    const other = t.anotherProcess()

    const up = await Promise.all([migrate(db, dir), migrate(other, dir)])
    expect(up.flatMap((r) => r.migrations).sort()).toEqual(['1_rooms.sql', '2_beds.sql'])
    expect(await tables()).toEqual(['beds', 'rooms'])

    // Each call reverts the newest migration it finds; none is reverted twice.
    const down = await Promise.all([migrateDown(db, 1), migrateDown(other, 1)])
    const reverted = down.flatMap((r) => r.migrations)
    expect(reverted).toContain('2_beds.sql')
    expect(new Set(reverted).size).toBe(reverted.length)
    const left = reverted.includes('1_rooms.sql') ? [] : ['rooms']
    expect(await tables()).toEqual(left)
    if (left.length > 0) await migrateDown(db, 1)
  })

  it('refuses to revert when a migration has no down script', async () => {
    await file('1_keep.sql', 'create table keep (id int);')
    await migrate(db, dir)
    await expect(migrateDown(db, 1)).rejects.toMatchObject({
      code: 'BALLAST_PG_MIGRATION',
      message: expect.stringContaining('No down script recorded for 1_keep.sql'),
    })
    await expect(migrateDown(db, 0)).rejects.toThrow(RangeError)
  })
})

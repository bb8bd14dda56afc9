import {
  deployFunction,
  install,
  isBreakingChangeError,
  isDefinitionChangedError,
  listVersions,
  type Queryable,
} from '@ballast/pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

const base = (name: string) => `create function ${name}(city text, max_price numeric)
  returns table (id integer, title text) language sql stable
  as $$ select 1, city $$`

/** Deploys v1 from `before`, then v2 from `after`; returns the error or the result. */
async function change(db: Queryable, name: string, before: string, after: string) {
  await deployFunction(db, { name, version: 1, sql: before })
  try {
    return await deployFunction(db, { name, version: 2, sql: after })
  } catch (error) {
    return error
  }
}

function aspects(error: unknown): string[] {
  if (!isBreakingChangeError(error)) throw new Error(`expected a breaking change, got ${error}`)
  return error.differences.map((d) => d.aspect)
}

describe(`deployFunction (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
    await install(db)
  })
  afterAll(() => t.close())

  it('creates the versioned function beside the others and registers its signature', async () => {
    const result = await deployFunction(db, {
      name: 'get_listing',
      version: 1,
      sql: base('get_listing'),
    })

    expect(result).toMatchObject({ physicalName: 'get_listing__v1', outcome: 'deployed' })
    expect(result.signature).toMatchObject({
      arguments: [
        { name: 'city', type: 'text', mode: 'in', hasDefault: false },
        { name: 'max_price', type: 'numeric', mode: 'in', hasDefault: false },
      ],
      identityArguments: 'city text, max_price numeric',
      resultType: 'TABLE(id integer, title text)',
      resultColumns: [
        { name: 'id', type: 'integer' },
        { name: 'title', type: 'text' },
      ],
      returnsSet: true,
      volatility: 'stable',
    })
    const { rows } = await db.query('select * from public.get_listing__v1($1, $2)', ['Porto', 3])
    expect(rows).toEqual([{ id: 1, title: 'Porto' }])
    const [version] = await listVersions(db, 'get_listing')
    expect(version).toMatchObject({ version: 1, status: 'deployed', droppedAt: null })
  })

  it('is idempotent for the same version and definition', async () => {
    const again = await deployFunction(db, {
      name: 'get_listing',
      version: 1,
      sql: base('get_listing'),
    })
    expect(again.outcome).toBe('unchanged')
  })

  it('refuses a known version with a different definition with a typed error', async () => {
    const other = base('get_listing').replace('select 1', 'select 2')
    const error = await deployFunction(db, { name: 'get_listing', version: 1, sql: other }).catch(
      (e: unknown) => e,
    )

    expect(isDefinitionChangedError(error)).toBe(true)
    expect(error).toMatchObject({
      name: 'DefinitionChangedError',
      functionName: 'get_listing',
      version: 1,
      deployedHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      candidateHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      message: expect.stringContaining('deploy the change as a new version'),
    })
    const { rows } = await db.query<{ v: string }>(
      'select title as v from get_listing__v1($1, 1)',
      ['x'],
    )
    expect(rows).toEqual([{ v: 'x' }])
  })

  it('refuses the same version in another function schema', async () => {
    await db.query('create schema if not exists elsewhere')
    await expect(
      deployFunction(db, {
        name: 'get_listing',
        version: 1,
        functionSchema: 'elsewhere',
        sql: base('get_listing'),
      }),
    ).rejects.toMatchObject({ code: 'BALLAST_PG_VERSION_EXISTS' })
  })

  it('refuses a version older than the newest deployed one', async () => {
    const other = base('get_listing').replace('select 1', 'select 2')
    await deployFunction(db, { name: 'get_listing', version: 5, sql: other })
    await expect(
      deployFunction(db, { name: 'get_listing', version: 4, sql: base('get_listing') }),
    ).rejects.toMatchObject({ code: 'BALLAST_PG_VERSION_EXISTS' })
  })

  it('classifies an identical signature with a new body as compatible', async () => {
    const after = base('body_only').replace('select 1', 'select 7')
    const result = await change(db, 'body_only', base('body_only'), after)
    expect(result).toMatchObject({ outcome: 'deployed' })
    const [comparison] = (
      result as { comparisons: { verdict: string; differences: { aspect: string }[] }[] }
    ).comparisons
    expect(comparison?.verdict).toBe('compatible')
    expect(comparison?.differences.map((d) => d.aspect)).toEqual(['definition'])
  })

  it('classifies a byte-identical definition as identical', async () => {
    const result = await change(db, 'same_again', base('same_again'), base('same_again'))
    expect(result).toMatchObject({ comparisons: [{ version: 1, verdict: 'identical' }] })
  })

  it('accepts a new trailing parameter with a default as compatible', async () => {
    const after = base('added_default').replace(
      'max_price numeric)',
      'max_price numeric, min_rooms int default 0)',
    )
    const result = await change(db, 'added_default', base('added_default'), after)
    expect(result).toMatchObject({
      outcome: 'deployed',
      comparisons: [
        {
          verdict: 'compatible',
          differences: [{ aspect: 'parameter-added', severity: 'compatible' }],
        },
      ],
    })
  })

  it('refuses a new parameter without a default', async () => {
    const after = base('added_required').replace('max_price numeric)', 'max_price numeric, x int)')
    expect(aspects(await change(db, 'added_required', base('added_required'), after))).toEqual([
      'parameter-added',
    ])
  })

  it('refuses a removed parameter', async () => {
    const after = base('removed_param').replace(', max_price numeric', '')
    expect(aspects(await change(db, 'removed_param', base('removed_param'), after))).toEqual([
      'parameter-removed',
    ])
  })

  it('refuses a retyped parameter', async () => {
    const after = base('retyped_param').replace('max_price numeric', 'max_price integer')
    expect(aspects(await change(db, 'retyped_param', base('retyped_param'), after))).toEqual([
      'parameter-retyped',
    ])
  })

  it('refuses a changed result column type', async () => {
    const after = base('retyped_column')
      .replace('title text', 'title varchar(20)')
      .replace('city $$', () => 'city::varchar(20) $$')
    expect(aspects(await change(db, 'retyped_column', base('retyped_column'), after))).toEqual([
      'result-column-retyped',
    ])
  })

  it('refuses an added result column and a removed one', async () => {
    const added = base('added_column')
      .replace('title text)', 'title text, price numeric)')
      .replace('city $$', () => 'city, 1.0 $$')
    expect(aspects(await change(db, 'added_column', base('added_column'), added))).toEqual([
      'result-column-added',
    ])

    const removed = base('removed_column')
      .replace(', title text', '')
      .replace(', city $$', () => ' $$')
    expect(aspects(await change(db, 'removed_column', base('removed_column'), removed))).toEqual([
      'result-column-removed',
    ])
  })

  it('refuses a change between a set and a single result', async () => {
    const before = 'create function one_or_many(n int) returns int language sql as $$ select n $$'
    const after =
      'create function one_or_many(n int) returns setof int language sql as $$ select n $$'
    expect(aspects(await change(db, 'one_or_many', before, after))).toEqual(['set-returning'])
  })

  it('refuses a changed scalar result type', async () => {
    const before = 'create function scalar_type(n int) returns int language sql as $$ select n $$'
    const after = 'create function scalar_type(n int) returns bigint language sql as $$ select n $$'
    expect(aspects(await change(db, 'scalar_type', before, after))).toEqual(['result-type'])
  })

  it('lists every difference in the error message and leaves nothing behind', async () => {
    const before = base('many_changes')
    const after = `create function many_changes(city integer)
      returns setof text language sql as $$ select 'x' $$`
    const error = await change(db, 'many_changes', before, after)

    expect(aspects(error)).toEqual(['parameter-retyped', 'parameter-removed', 'result-type'])
    expect((error as Error).message).toContain('parameter city changed type from text to integer')
    expect((error as Error).message).toContain('parameter max_price was removed')
    const left = await db.query(`select 1 from pg_proc where proname = 'many_changes__v2'`, [])
    expect(left.rows).toEqual([])
    const schemas = await db.query(
      `select 1 from pg_namespace where nspname like 'ballast_stage_%'`,
      [],
    )
    expect(schemas.rows).toEqual([])
  })

  it('deploys a breaking change when the caller passes allowBreaking', async () => {
    await deployFunction(db, { name: 'forced', version: 1, sql: base('forced') })
    const after = base('forced').replace(', max_price numeric', '')
    const result = await deployFunction(db, {
      name: 'forced',
      version: 2,
      sql: after,
      allowBreaking: true,
    })
    expect(result.comparisons[0]?.verdict).toBe('breaking')
    expect(result.outcome).toBe('deployed')
  })

  it('compares with the active version and the two before it', async () => {
    const sql = (body: string) =>
      `create function windowed(n int) returns int language sql as $$ select ${body} $$`
    for (const version of [1, 2, 3, 4]) {
      await deployFunction(db, { name: 'windowed', version, sql: sql(`n + ${version}`) })
    }
    const result = await deployFunction(db, { name: 'windowed', version: 5, sql: sql('n') })
    expect(result.comparisons.map((c) => c.version)).toEqual([4, 3, 2])
  })

  it('refuses SQL that does not create exactly the named function', async () => {
    await expect(
      deployFunction(db, {
        name: 'expected_name',
        version: 1,
        sql: 'create function other_name() returns int language sql as $$ select 1 $$',
      }),
    ).rejects.toMatchObject({
      code: 'BALLAST_PG_INVALID_DEPLOYMENT',
      message: expect.stringContaining('it created other_name'),
    })
    await expect(
      deployFunction(db, { name: 'broken_sql', version: 1, sql: 'create function broken_sql(' }),
    ).rejects.toMatchObject({ code: 'BALLAST_PG_INVALID_DEPLOYMENT' })
    await expect(
      deployFunction(db, {
        name: 'extra_objects',
        version: 1,
        sql: `create table side_table (id int);
              create function extra_objects() returns int language sql as $$ select 1 $$`,
      }),
    ).rejects.toMatchObject({ code: 'BALLAST_PG_INVALID_DEPLOYMENT' })
  })

  it('places versions in the chosen function schema', async () => {
    await db.query('create schema if not exists api')
    const result = await deployFunction(db, {
      name: 'in_api',
      version: 1,
      functionSchema: 'api',
      sql: 'create function in_api() returns int language sql as $$ select 42 $$',
    })
    expect(result.physicalName).toBe('in_api__v1')
    const { rows } = await db.query<{ v: number }>('select api.in_api__v1() as v', [])
    expect(rows[0]?.v).toBe(42)
  })
})

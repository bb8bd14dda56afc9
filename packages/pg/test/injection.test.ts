import {
  activate,
  createFunctionClient,
  deployFunction,
  install,
  listVersions,
  type Queryable,
} from '@ballast/pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

const hostileNames = [
  'get_x; drop table victims; --',
  'get_x"; drop table victims; --',
  "get_x'); drop table victims; --",
  'Get_X',
  'get_x__v2',
  'a'.repeat(51),
  '',
  '1starts_with_digit',
  'schema.get_x',
]

describe(`SQL injection (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
    await install(db)
    await db.query('create table victims (id int)')
    await db.query('insert into victims values (1)')
    await deployFunction(db, {
      name: 'echo_text',
      version: 1,
      sql: 'create function echo_text(value text) returns text language sql as $$ select value $$',
    })
    await activate(db, 'echo_text', 1)
    await deployFunction(db, {
      name: 'pair',
      version: 1,
      sql: `create function pair(a text, b text) returns text language sql
        as $$ select a || '+' || b $$`,
    })
    await activate(db, 'pair', 1)
  })
  afterAll(() => t.close())

  async function victimsIntact() {
    const { rows } = await db.query('select * from victims', [])
    expect(rows).toEqual([{ id: 1 }])
  }

  it.each(hostileNames)('rejects the function name %j everywhere', async (name) => {
    const fns = createFunctionClient(db, { refreshIntervalMs: 0 })
    const invalid = { code: 'BALLAST_PG_INVALID_IDENTIFIER' }

    await expect(fns.call(name, [])).rejects.toMatchObject(invalid)
    await expect(deployFunction(db, { name, version: 1, sql: 'select 1' })).rejects.toMatchObject(
      invalid,
    )
    await expect(activate(db, name, 1)).rejects.toMatchObject(invalid)
    await expect(listVersions(db, name)).rejects.toMatchObject(invalid)
    await fns.close()
    await victimsIntact()
  })

  it('binds hostile argument values as plain data', async () => {
    const fns = createFunctionClient(db, { refreshIntervalMs: 0 })
    const payloads = [
      "'); drop table victims; --",
      '$$; drop table victims; $$',
      "x'; select pg_sleep(10); --",
      '"; drop table victims; --',
    ]
    for (const payload of payloads) {
      expect(await fns.call('echo_text', [payload])).toBe(payload)
      expect(await fns.call('echo_text', { value: payload })).toBe(payload)
    }
    await fns.close()
    await victimsIntact()
  })

  it('rejects hostile argument names instead of building SQL from them', async () => {
    const fns = createFunctionClient(db, { refreshIntervalMs: 0 })
    await expect(
      fns.call('echo_text', { 'value => null); drop table victims; --': 'x' }),
    ).rejects.toMatchObject({ code: 'BALLAST_PG_UNKNOWN_ARGUMENT' })
    await fns.close()
    await victimsIntact()
  })

  it('never reuses a cached call text for argument names that only join alike', async () => {
    const fns = createFunctionClient(db, { refreshIntervalMs: 0 })
    expect(await fns.call('pair', { a: 'x', b: 'y' })).toBe('x+y')
    await expect(fns.call('pair', { 'a,b': 'x' })).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_ARGUMENT',
    })
    expect(await fns.call('pair', { b: 'y', a: 'x' })).toBe('x+y')
    await fns.close()
  })

  it('ignores registry rows with hostile names written behind its back', async () => {
    const hostile = 'x"; drop table victims; --'
    const signature = JSON.stringify({
      arguments: [],
      identityArguments: '',
      resultType: 'integer',
      resultColumns: null,
      returnsSet: false,
      volatility: 'volatile',
      definitionHash: 'forged',
    })
    await db.query(
      `insert into ballast.function_versions (name, version, function_schema, physical_name,
         identity_arguments, result_type, volatility, returns_set, signature,
         definition_hash, status)
       values ($1, 1, 'public', $1, '', 'integer', 'volatile', false, $2::jsonb, 'forged',
         'active')`,
      [hostile, signature],
    )
    const fns = createFunctionClient(db, { refreshIntervalMs: 0 })
    await fns.ready()

    expect(fns.activeVersion(hostile)).toBeUndefined()
    await expect(fns.call(hostile)).rejects.toMatchObject({
      code: 'BALLAST_PG_INVALID_IDENTIFIER',
    })
    expect(await fns.call('echo_text', ['still fine'])).toBe('still fine')
    await fns.close()
    await db.query('delete from ballast.function_versions where name = $1', [hostile])
    await victimsIntact()
  })

  it('rejects hostile versions and schema names', async () => {
    const fns = createFunctionClient(db, { refreshIntervalMs: 0 })
    const version = '1; drop table victims' as unknown as number
    await expect(fns.call('echo_text', ['x'], { version })).rejects.toThrow(RangeError)
    await expect(
      deployFunction(db, {
        name: 'echo_text',
        version: 2,
        functionSchema: 'public; drop table victims',
        sql: 'select 1',
      }),
    ).rejects.toMatchObject({ code: 'BALLAST_PG_INVALID_IDENTIFIER' })
    expect(() => createFunctionClient(db, { schema: 'ballast"; --' })).toThrow(
      expect.objectContaining({ code: 'BALLAST_PG_INVALID_IDENTIFIER' }),
    )
    await fns.close()
    await victimsIntact()
  })
})

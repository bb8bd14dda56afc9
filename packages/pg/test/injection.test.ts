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

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  activate,
  checkCompatibility,
  createFunctionClient,
  createManifest,
  deployFunction,
  type FunctionClient,
  install,
  isBreakingChangeError,
  type Queryable,
  rollback,
  runCheck,
} from '@ballast/pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

// The README's walkthrough, step by step, with the values it shows.

const v1 = `create function get_properties(city text)
  returns table (id int, title text, price numeric)
  language sql stable
  as $$ select id, title, price from properties p where p.city = $1 order by id $$`

const v2 = `create function get_properties(city text, max_price numeric default null)
  returns table (id int, title text, price numeric)
  language sql stable
  as $$ select id, title, price from properties p
        where p.city = $1 and (max_price is null or p.price <= max_price) order by id $$`

const v3 = `create function get_properties(city text)
  returns table (id int, title text)
  language sql stable
  as $$ select id, title from properties p where p.city = $1 order by id $$`

describe(`the README walkthrough (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable
  let fns: FunctionClient
  let dir: string

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
    dir = await mkdtemp(join(tmpdir(), 'ballast-pg-walkthrough-'))
  })
  afterAll(async () => {
    await fns?.close()
    await rm(dir, { recursive: true, force: true })
    await t.close()
  })

  it('goes from v1 to v3 and back', async () => {
    await install(db)
    await db.query(`create table properties (id int primary key, city text, title text,
      price numeric)`)
    await db.query(`insert into properties values (1, 'Lisbon', 'Loft', 300),
      (2, 'Lisbon', 'Villa', 900), (3, 'Porto', 'Flat', 200)`)

    // 1. Deploy v1 and activate it.
    const first = await deployFunction(db, { name: 'get_properties', version: 1, sql: v1 })
    expect(first).toMatchObject({
      physicalName: 'get_properties__v1',
      outcome: 'deployed',
      comparisons: [],
    })
    expect(await activate(db, 'get_properties', 1)).toEqual({
      name: 'get_properties',
      version: 1,
      fromVersion: null,
      changed: true,
    })

    // 2. Call it by its logical name.
    fns = createFunctionClient(db)
    expect(await fns.call('get_properties', ['Lisbon'])).toEqual([
      { id: 1, title: 'Loft', price: '300' },
      { id: 2, title: 'Villa', price: '900' },
    ])

    // 3. Record what this build calls.
    const manifest = await createManifest(db, ['get_properties'])
    expect(manifest).toEqual({
      functions: [
        {
          name: 'get_properties',
          arguments: [{ name: 'city', type: 'text', hasDefault: false }],
          returnsSet: true,
          resultType: 'TABLE(id integer, title text, price numeric)',
          resultColumns: [
            { name: 'id', type: 'integer' },
            { name: 'title', type: 'text' },
            { name: 'price', type: 'numeric' },
          ],
        },
      ],
    })
    const manifestFile = join(dir, 'ballast-manifest.json')
    await writeFile(manifestFile, JSON.stringify(manifest, null, 2))

    // 4. v2 adds a parameter with a default: compatible.
    const second = await deployFunction(db, { name: 'get_properties', version: 2, sql: v2 })
    expect(second.comparisons).toEqual([
      {
        version: 1,
        verdict: 'compatible',
        differences: [
          {
            againstVersion: 1,
            severity: 'compatible',
            aspect: 'parameter-added',
            message: 'parameter max_price (numeric) was added with a default',
          },
        ],
      },
    ])
    await activate(db, 'get_properties', 2)
    await fns.refresh() // the client would notice within a second on its own
    expect(await fns.call('get_properties', { city: 'Lisbon', max_price: 500 })).toEqual([
      { id: 1, title: 'Loft', price: '300' },
    ])
    expect(await fns.call('get_properties', ['Porto'], { version: 1 })).toEqual([
      { id: 3, title: 'Flat', price: '200' },
    ])
    expect((await checkCompatibility(db, manifest)).functions[0]).toMatchObject({
      status: 'ok',
      version: 2,
      message: 'v2 accepts the declared calls (compatible)',
    })

    // 5. v3 drops the price column and the parameter: refused, every difference listed.
    const refused = await deployFunction(db, { name: 'get_properties', version: 3, sql: v3 })
      .then(() => undefined)
      .catch((error: unknown) => error)
    expect(isBreakingChangeError(refused)).toBe(true)
    expect((refused as Error).message).toBe(
      'get_properties v3 breaks callers of callable versions; pass allowBreaking: true to ' +
        'deploy anyway:\n' +
        '  - against v2: parameter max_price was removed\n' +
        '  - against v2: result column price was removed\n' +
        '  - against v1: result column price was removed',
    )

    // 6. Forced through and activated, the check says the running build would break.
    await deployFunction(db, { name: 'get_properties', version: 3, sql: v3, allowBreaking: true })
    await activate(db, 'get_properties', 3)
    const out = { text: '', write: (s: string) => (out.text += s) }
    const connect = async () => ({ db, close: async () => undefined })
    const env = { DATABASE_URL: 'postgres://ci@db/app' }
    const argv = ['check', '--manifest', manifestFile]
    expect(await runCheck(argv, env, { connect, stdout: out })).toBe(1)
    expect(out.text).toBe('breaking get_properties: v3: result column price was removed\n')

    // 7. Roll back: v2 is active again, and the check passes.
    expect(await rollback(db, 'get_properties')).toEqual({
      name: 'get_properties',
      version: 2,
      fromVersion: 3,
      changed: true,
    })
    out.text = ''
    expect(await runCheck(argv, env, { connect, stdout: out })).toBe(0)
    expect(out.text).toBe('ok       get_properties: v2 accepts the declared calls (compatible)\n')
    await fns.refresh()
    expect(fns.activeVersion('get_properties')).toBe(2)
  })
})

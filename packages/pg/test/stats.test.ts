import { activate, createFunctionClient, deployFunction, functionStats, install } from '@ballast/pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

const plpgsql = (version: number) => `create function scored(n int) returns int
  language plpgsql as $$ begin return n * ${version}; end $$`

describe(`functionStats (${backend})`, () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await openTestDatabase()
    await install(t.db)
  })
  afterAll(() => t.close())

  it('reports calls per version from pg_stat_user_functions', async () => {
    // One connection: its statistics are flushed by pg_stat_force_next_flush below.
    const db = await t.extraConnection()
    for (const version of [1, 2]) {
      await deployFunction(db, { name: 'scored', version, sql: plpgsql(version) })
    }
    await activate(db, 'scored', 2)
    const fns = createFunctionClient(db, { refreshIntervalMs: 0, listen: false })
    for (let i = 0; i < 3; i++) await fns.call('scored', [i])
    await fns.call('scored', [1], { version: 1 })
    await db.query('select pg_stat_force_next_flush()', [])

    const stats = await functionStats(db, 'scored')
    expect(stats.tracking).toBe(true)
    expect(stats.versions.map((v) => [v.version, v.physicalName, v.calls])).toEqual([
      [1, 'scored__v1', 1],
      [2, 'scored__v2', 3],
    ])
    expect(stats.versions[1]?.totalTimeMs).toBeGreaterThanOrEqual(0)
    await fns.close()
  })
})

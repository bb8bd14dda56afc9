import { activate, createFunctionClient, deployFunction, install } from '@ballast/pg'
import { createRecorder } from '@ballast/timing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

const sql = (version: number) =>
  `create function priced(n int) returns int language sql as $$ select n * ${version} $$`

describe(`the call hook feeding @ballast/timing (${backend})`, () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await openTestDatabase()
    await install(t.db)
    for (const version of [1, 2]) {
      await deployFunction(t.db, { name: 'priced', version, sql: sql(version) })
    }
    await activate(t.db, 'priced', 2)
  })
  afterAll(() => t.close())

  it('records each call under its versioned name, failures counted as errors', async () => {
    let now = 0
    const fns = createFunctionClient(t.db, {
      refreshIntervalMs: 0,
      listen: false,
      clock: { now: () => (now += 4) },
    })
    const recorder = createRecorder()
    fns.on('call', (call) => {
      recorder.record('read', call.physicalName, call.durationMs, { failed: !call.ok })
    })

    await fns.call('priced', [1])
    await fns.call('priced', [2])
    await fns.call('priced', [3], { version: 1 })
    await expect(fns.call('priced', ['not a number'])).rejects.toThrow()
    await fns.close()

    const operations = recorder.snapshot().operations.map((o) => ({
      operation: o.operation,
      count: o.total.count,
      errors: o.total.errors,
      max: o.total.max,
    }))
    expect(operations).toEqual([
      { operation: 'priced__v2', count: 3, errors: 1, max: 4 },
      { operation: 'priced__v1', count: 1, errors: 0, max: 4 },
    ])
  })
})

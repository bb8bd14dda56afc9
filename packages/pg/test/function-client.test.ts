import {
  activate,
  createFunctionClient,
  deployFunction,
  type FunctionClient,
  install,
  type Queryable,
  rollback,
} from '@ballast/pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { backend, openTestDatabase, type TestDatabase } from './support/database'

/** A function whose answer names the version that ran. */
const versioned = (name: string, version: number) =>
  `create function ${name}(n int) returns text language sql as $$ select 'v${version}:' || n $$`

/** Resolves on the client's next `listening` event. */
function listeningOnce(fns: FunctionClient): Promise<void> {
  return new Promise((resolve) => {
    const stop = fns.on('listening', () => {
      stop()
      resolve()
    })
  })
}

/** Resolves when the client's map shows `version` active for `name`. */
function activeBecomes(fns: FunctionClient, name: string, version: number): Promise<void> {
  return new Promise((resolve) => {
    const stop = fns.on('refresh', ({ active }) => {
      if (active[name] !== version) return
      stop()
      resolve()
    })
  })
}

describe(`createFunctionClient (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable
  const clients: FunctionClient[] = []
  const open = (options?: Parameters<typeof createFunctionClient>[1]) => {
    const fns = createFunctionClient(db, { refreshIntervalMs: 0, ...options })
    clients.push(fns)
    return fns
  }

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
    await install(db)
    await db.query(`create table homes (id int, city text, price numeric)`)
    await db.query(`insert into homes values (1, 'Lisbon', 300), (2, 'Lisbon', 500),
      (3, 'Porto', 200)`)
    const shapes: [string, string][] = [
      [
        'homes_in',
        `(city text) returns table (id int, price numeric) language sql stable
        as $$ select id, price from homes where homes.city = $1 order by id $$`,
      ],
      [
        'home_ids',
        `(city text) returns setof int language sql stable
        as $$ select id from homes where homes.city = $1 order by id $$`,
      ],
      [
        'cheapest',
        `(city text, out id int, out price numeric) language sql stable
        as $$ select id, price from homes where homes.city = $1 order by price limit 1 $$`,
      ],
      [
        'home_count',
        `(city text, min_price numeric default 0) returns bigint language sql
        stable as $$ select count(*) from homes where homes.city = $1 and price >= $2 $$`,
      ],
    ]
    for (const [name, rest] of shapes) {
      await deployFunction(db, { name, version: 1, sql: `create function ${name}${rest}` })
      await activate(db, name, 1)
    }
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(clients.splice(0).map((fns) => fns.close()))
  })
  afterAll(() => t.close())

  it('returns rows for set-returning functions with columns', async () => {
    const rows = await open().call('homes_in', ['Lisbon'])
    expect(rows).toEqual([
      { id: 1, price: '300' },
      { id: 2, price: '500' },
    ])
  })

  it('returns values for SETOF scalar, a row for OUT parameters, a value for scalars', async () => {
    const fns = open()
    expect(await fns.call('home_ids', ['Lisbon'])).toEqual([1, 2])
    expect(await fns.call('cheapest', ['Porto'])).toEqual({ id: 3, price: '200' })
    // int8 comes back as a string from pg and as a number from PGlite.
    expect(Number(await fns.call('home_count', ['Lisbon']))).toBe(2)
  })

  it('binds arguments by name and lets defaults apply', async () => {
    const fns = open()
    expect(Number(await fns.call('home_count', { city: 'Lisbon', min_price: 400 }))).toBe(1)
    expect(Number(await fns.call('home_count', { city: 'Lisbon' }))).toBe(2)
    await expect(fns.call('home_count', { town: 'Lisbon' })).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_ARGUMENT',
    })
    await expect(fns.call('home_count', { min_price: 1 })).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_ARGUMENT',
    })
  })

  it('raises typed errors before the database is asked', async () => {
    const seen: string[] = []
    const spy: Queryable = {
      query: (text, params) => {
        seen.push(text)
        return db.query(text, params)
      },
      transaction: (work) => db.transaction(work),
    }
    const fns = createFunctionClient(spy, { refreshIntervalMs: 0 })
    clients.push(fns)
    await fns.ready()
    seen.length = 0

    await expect(fns.call('no_such_function', [])).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_FUNCTION',
    })
    await expect(fns.call('home_ids', ['Lisbon'], { version: 7 })).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_VERSION',
    })
    await expect(fns.call('home_ids', [])).rejects.toMatchObject({
      code: 'BALLAST_PG_ARGUMENT_COUNT',
      message: 'home_ids__v1 takes 1 argument(s), received 0',
    })
    await expect(fns.call('home_count', ['a', 1, 2])).rejects.toMatchObject({
      code: 'BALLAST_PG_ARGUMENT_COUNT',
      message: 'home_count__v1 takes 1 to 2 argument(s), received 3',
    })
    expect(seen).toEqual([])
  })

  it('keeps a pinned old version answering after two newer deploys', async () => {
    for (const version of [1, 2, 3]) {
      await deployFunction(db, { name: 'echo', version, sql: versioned('echo', version) })
      await activate(db, 'echo', version)
    }
    const oldInstance = open({ pins: { echo: 1 } })
    const newInstance = open()

    expect(await oldInstance.call('echo', [5])).toBe('v1:5')
    expect(await newInstance.call('echo', [5])).toBe('v3:5')
    expect(await newInstance.call('echo', [5], { version: 2 })).toBe('v2:5')
  })

  it('brings an activation to two instances within a second on its interval', async () => {
    await deployFunction(db, { name: 'ticking', version: 1, sql: versioned('ticking', 1) })
    await deployFunction(db, { name: 'ticking', version: 2, sql: versioned('ticking', 2) })
    await activate(db, 'ticking', 1)
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const first = open({ refreshIntervalMs: 1000, listen: false })
    await first.ready()
    vi.advanceTimersByTime(400) // the second instance started later: its timer is offset
    const second = open({ refreshIntervalMs: 1000, listen: false })
    await second.ready()
    expect([await first.call('ticking', [1]), await second.call('ticking', [1])]).toEqual([
      'v1:1',
      'v1:1',
    ])

    await activate(db, 'ticking', 2)
    const seen = Promise.all([
      activeBecomes(first, 'ticking', 2),
      activeBecomes(second, 'ticking', 2),
    ])
    vi.advanceTimersByTime(1000)
    await seen

    expect([await first.call('ticking', [1]), await second.call('ticking', [1])]).toEqual([
      'v2:1',
      'v2:1',
    ])
  })

  it('brings an activation to two instances through NOTIFY, with no timer', async () => {
    await deployFunction(db, { name: 'notified', version: 1, sql: versioned('notified', 1) })
    await deployFunction(db, { name: 'notified', version: 2, sql: versioned('notified', 2) })
    await activate(db, 'notified', 1)
    // Two instances: on a real server each holds its own listener connection.
    const instances = [open({ refreshIntervalMs: 0 }), open({ refreshIntervalMs: 0 })]
    await Promise.all(instances.map((fns) => listeningOnce(fns)))

    const seen = Promise.all(instances.map((fns) => activeBecomes(fns, 'notified', 2)))
    await activate(t.anotherProcess(), 'notified', 2)
    await seen

    for (const fns of instances) expect(await fns.call('notified', [3])).toBe('v2:3')
  })

  it('unrefs its refresh timer, and close stops the timer and the listener', async () => {
    let subscribed = 0
    const counted: Queryable = {
      query: (text, params) => db.query(text, params),
      transaction: (work) => db.transaction(work),
      async listen(channel, onMessage, onError) {
        const stop = await (db.listen as NonNullable<Queryable['listen']>)(
          channel,
          onMessage,
          onError,
        )
        subscribed++
        return async () => {
          subscribed--
          await stop()
        }
      },
    }
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval')
    const clearIntervalSpy = vi.spyOn(globalThis, 'clearInterval')
    const fns = createFunctionClient(counted, { refreshIntervalMs: 1000 })
    const timer = setIntervalSpy.mock.results.at(-1)?.value as NodeJS.Timeout
    setIntervalSpy.mockRestore()
    await listeningOnce(fns)

    expect(timer.hasRef()).toBe(false)
    expect(subscribed).toBe(1)
    await fns.close()
    expect(clearIntervalSpy).toHaveBeenCalledWith(timer)
    clearIntervalSpy.mockRestore()
    expect(subscribed).toBe(0)
  })

  it('rolls back under a loop of callers with zero failed calls', async () => {
    for (const version of [1, 2]) {
      await deployFunction(db, { name: 'busy', version, sql: versioned('busy', version) })
      await activate(db, 'busy', version)
    }
    const fns = open({ refreshIntervalMs: 0 })
    await fns.refresh()
    const answers = new Map<string, number>()
    const failures: unknown[] = []
    let stopping = false
    let afterRollback = 0
    let warm: () => void = () => undefined
    const warmedUp = new Promise<void>((resolve) => {
      warm = resolve
    })

    const caller = async () => {
      while (!stopping || afterRollback < 20) {
        try {
          const answer = await fns.call<string>('busy', [1])
          answers.set(answer, (answers.get(answer) ?? 0) + 1)
          if (stopping && answer === 'v1:1') afterRollback++
          if ((answers.get('v2:1') ?? 0) >= 8) warm()
        } catch (error) {
          failures.push(error)
          if (failures.length > 5) return
        }
      }
    }
    const callers = Array.from({ length: 4 }, caller)

    await warmedUp
    const seen = activeBecomes(fns, 'busy', 1)
    await rollback(db, 'busy')
    await fns.refresh()
    await seen
    stopping = true
    await Promise.all(callers)

    expect(failures).toEqual([])
    expect(answers.get('v1:1')).toBeGreaterThanOrEqual(20)
    expect(answers.get('v2:1')).toBeGreaterThanOrEqual(8)
  }, 20_000)

  it('reports each call under its versioned name with a duration from the clock', async () => {
    let now = 0
    const fns = open({ clock: { now: () => (now += 5) } })
    const events: unknown[] = []
    const stop = fns.on('call', (event) => events.push(event))
    fns.on('call', () => {
      throw new Error('a broken listener does not break calls')
    })

    await fns.call('home_ids', ['Porto'])
    await expect(fns.call('home_count', ['Porto', 'not a number'])).rejects.toThrow()
    stop()
    await fns.call('home_ids', ['Porto'])

    expect(events).toEqual([
      { name: 'home_ids', version: 1, physicalName: 'home_ids__v1', durationMs: 5, ok: true },
      expect.objectContaining({ physicalName: 'home_count__v1', ok: false, durationMs: 5 }),
    ])
  })

  it('sends one statement per call, the same text each time, and no catalog query', async () => {
    const seen: string[] = []
    const spy: Queryable = {
      query: (text, params) => {
        seen.push(text)
        return db.query(text, params)
      },
      transaction: (work) => db.transaction(work),
    }
    const fns = createFunctionClient(spy, { refreshIntervalMs: 0 })
    clients.push(fns)
    await fns.ready()
    seen.length = 0

    for (const city of ['Lisbon', 'Porto', 'Lisbon']) await fns.call('home_ids', [city])
    await fns.refresh()
    await fns.call('home_count', { city: 'Lisbon' })
    await fns.call('home_count', { city: 'Porto' })

    const calls = seen.filter((text) => !text.includes('function_versions'))
    expect(calls).toEqual([
      'select t.value from "public"."home_ids__v1"($1) as t(value)',
      'select t.value from "public"."home_ids__v1"($1) as t(value)',
      'select t.value from "public"."home_ids__v1"($1) as t(value)',
      'select "public"."home_count__v1"("city" => $1) as value',
      'select "public"."home_count__v1"("city" => $1) as value',
    ])
    expect(seen.length - calls.length).toBe(1) // the one explicit refresh
  })

  it('rejects a call whose signal aborts, without waiting for the statement', async () => {
    const fns = open()
    const aborted = new AbortController()
    aborted.abort(new Error('caller gave up'))
    await expect(fns.call('home_ids', ['Porto'], { signal: aborted.signal })).rejects.toThrow(
      'caller gave up',
    )

    const later = new AbortController()
    const pending = fns.call('home_ids', ['Porto'], { signal: later.signal })
    later.abort(new Error('deadline'))
    await expect(pending).rejects.toThrow('deadline')
    expect(await fns.call('home_ids', ['Porto'], { signal: new AbortController().signal })).toEqual(
      [3],
    )
  })

  it('calls functions named like Object.prototype members', async () => {
    const sql = 'create function constructor() returns int language sql as $$ select 7 $$'
    await deployFunction(db, { name: 'constructor', version: 1, sql })
    await activate(db, 'constructor', 1)
    const fns = open({ pins: {} })
    expect(await fns.call('constructor')).toBe(7)
    await expect(fns.call('__proto__')).rejects.toMatchObject({
      code: 'BALLAST_PG_UNKNOWN_FUNCTION',
    })
  })

  it('rejects calls after close and validates its options', async () => {
    const fns = open()
    await fns.close()
    await expect(fns.call('home_ids', ['Porto'])).rejects.toMatchObject({
      code: 'BALLAST_PG_CLIENT_CLOSED',
    })
    expect(() => createFunctionClient(db, { refreshIntervalMs: -1 })).toThrow(RangeError)
    expect(() => createFunctionClient(db, { reconnectDelayMs: Number.NaN })).toThrow(
      'createFunctionClient: options.reconnectDelayMs must be a non-negative number, ' +
        'received NaN',
    )
    expect(() => createFunctionClient(db, { pins: { echo: 0 } })).toThrow(RangeError)
    expect(() => createFunctionClient(db, { clock: {} as never })).toThrow(
      'createFunctionClient: options.clock must have a now() method, received object',
    )
    expect(() => createFunctionClient(db, { logger: 1 as never })).toThrow(TypeError)
    expect(() => createFunctionClient(db, { pins: { 'Bad-Name': 1 } })).toThrow(
      expect.objectContaining({ code: 'BALLAST_PG_INVALID_IDENTIFIER' }),
    )
  })
})

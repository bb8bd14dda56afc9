import {
  activate,
  createFunctionClient,
  deployFunction,
  type FunctionClient,
  type FunctionClientEvents,
  install,
  type Queryable,
} from '@ballast/pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { backend, databaseUrl, openTestDatabase, type TestDatabase } from './support/database'

const versioned = (version: number) =>
  `create function watched(n int) returns text language sql as $$ select 'v${version}:' || n $$`

/** Resolves with the payload of the client's next `event`. */
function next<E extends keyof FunctionClientEvents>(
  fns: FunctionClient,
  event: E,
): Promise<FunctionClientEvents[E]> {
  return new Promise((resolve) => {
    const stop = fns.on(event, (payload) => {
      stop()
      resolve(payload)
    })
  })
}

/** Resolves when the client's map shows `version` active for `watched`. */
function activeBecomes(fns: FunctionClient, version: number): Promise<void> {
  return new Promise((resolve) => {
    const stop = fns.on('refresh', ({ active }) => {
      if (active.watched !== version) return
      stop()
      resolve()
    })
  })
}

describe(`the function client's NOTIFY subscription (${backend})`, () => {
  let t: TestDatabase
  let db: Queryable
  const clients: FunctionClient[] = []
  const open = (target: Queryable, options?: Parameters<typeof createFunctionClient>[1]) => {
    const fns = createFunctionClient(target, { refreshIntervalMs: 0, ...options })
    clients.push(fns)
    return fns
  }
  const listen = () => db.listen as NonNullable<Queryable['listen']>

  beforeAll(async () => {
    t = await openTestDatabase()
    db = t.db
    await install(db)
    for (const version of [1, 2, 3, 4, 5, 6]) {
      await deployFunction(db, { name: 'watched', version, sql: versioned(version) })
    }
    await activate(db, 'watched', 1)
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    await Promise.all(clients.splice(0).map((fns) => fns.close()))
  })
  afterAll(() => t.close())

  it('subscribes again after the subscription breaks, and re-reads what it missed', async () => {
    let breakIt: (error: Error) => void = () => undefined
    let gate: Promise<void> = Promise.resolve()
    const breakable: Queryable = {
      query: (text, params) => db.query(text, params),
      transaction: (work) => db.transaction(work),
      async listen(channel, onMessage, onError) {
        await gate
        const stop = await listen()(channel, onMessage)
        breakIt = (error) => {
          stop().then(() => onError?.(error))
        }
        return stop
      },
    }
    const fns = open(breakable, { reconnectDelayMs: 0 })
    await next(fns, 'listening')
    await activate(db, 'watched', 2)
    await fns.refresh()

    // The subscription breaks and stays down while an activation happens.
    let reopen: () => void = () => undefined
    gate = new Promise((resolve) => {
      reopen = resolve
    })
    const lost = next(fns, 'error')
    breakIt(new Error('connection lost'))
    expect((await lost).error).toEqual(new Error('connection lost'))
    await activate(db, 'watched', 3)
    expect(fns.activeVersion('watched')).toBe(2)

    // Back up: the client reads the registry again, so the missed activation arrives.
    const back = next(fns, 'listening')
    const caughtUp = activeBecomes(fns, 3)
    reopen()
    await back
    await caughtUp

    // And notifications flow on the new subscription.
    const notified = activeBecomes(fns, 4)
    await activate(t.anotherProcess(), 'watched', 4)
    await notified
    expect(await fns.call('watched', [1])).toBe('v4:1')
  })

  it('keeps retrying while subscribing fails, then reads the registry', async () => {
    let failures = 3
    const flaky: Queryable = {
      query: (text, params) => db.query(text, params),
      transaction: (work) => db.transaction(work),
      async listen(channel, onMessage, onError) {
        if (failures > 0) {
          failures--
          throw new Error('connection refused')
        }
        return listen()(channel, onMessage, onError)
      },
    }
    const errors: unknown[] = []
    const fns = open(flaky, { reconnectDelayMs: 1 })
    fns.on('error', ({ error }) => errors.push(error))
    const listening = next(fns, 'listening')
    const read = next(fns, 'refresh')

    await listening
    await read
    expect(errors).toEqual([
      new Error('connection refused'),
      new Error('connection refused'),
      new Error('connection refused'),
    ])
  })

  it('waits twice as long after each failed attempt, on unref()ed timers', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout')
    let attempts = 0
    const down: Queryable = {
      query: (text, params) => db.query(text, params),
      transaction: (work) => db.transaction(work),
      async listen() {
        attempts++
        throw new Error('connection refused')
      },
    }
    const fns = open(down, { reconnectDelayMs: 1 })
    await new Promise<void>((resolve) => {
      fns.on('error', () => {
        if (attempts === 4) resolve()
      })
    })

    const retries = setTimeoutSpy.mock.calls
      .map(([, delay], index) => ({ delay, timer: setTimeoutSpy.mock.results[index]?.value }))
      .filter(({ delay }) => delay === 1 || delay === 2 || delay === 4 || delay === 8)
    expect(retries.map((r) => r.delay)).toEqual([1, 2, 4, 8])
    const pending = retries[3]?.timer as NodeJS.Timeout
    expect(pending.hasRef()).toBe(false)

    // close() cancels the pending retry: no fifth attempt.
    await fns.close()
    expect(clearTimeoutSpy).toHaveBeenCalledWith(pending)
    expect(attempts).toBe(4)
  })

  it.skipIf(!databaseUrl)(
    'renews its listener connection after the server ends it (needs DATABASE_URL)',
    async () => {
      const fns = open(db, { reconnectDelayMs: 0 })
      await next(fns, 'listening')
      const lost = next(fns, 'error')
      const back = next(fns, 'listening')

      await db.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and query ilike 'listen %'
            and pid <> pg_backend_pid()`,
        [],
      )
      expect((await lost).error).toBeInstanceOf(Error)
      await back

      const notified = activeBecomes(fns, 5)
      await activate(t.anotherProcess(), 'watched', 5)
      await notified
      expect(await fns.call('watched', [2])).toBe('v5:2')
    },
  )
})

import {
  type Cache,
  createCache,
  type InvalidationBus,
  isCacheInvalidationPendingError,
  isCacheInvalidationUnconfirmedError,
} from '@ballast/cache'
import type { Queryable } from '@ballast/pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createNotifyBus,
  isNotifyBusUnavailableError,
  type NotifyBus,
  type NotifyBusEvents,
  type NotifyBusSubscriber,
} from '../src/notify-bus'
import { backend, databaseUrl, openTestDatabase, type TestDatabase } from './support/database'

function next<Name extends keyof NotifyBusEvents>(
  bus: NotifyBus,
  name: Name,
): Promise<NotifyBusEvents[Name]> {
  return new Promise((resolve) => {
    const stop = bus.on(name, (event) => {
      stop()
      resolve(event)
    })
  })
}

function recorder() {
  const seen: string[] = []
  const subscriber: NotifyBusSubscriber = {
    invalidate: (message) => seen.push(`invalidate ${message.tags.join(',')}`),
    reset: () => seen.push('reset'),
    connected: () => seen.push('connected'),
  }
  return { seen, subscriber }
}

describe(`createNotifyBus (${backend})`, () => {
  let t: TestDatabase
  const buses: NotifyBus[] = []
  const caches: Cache[] = []

  const open = async (db: Queryable, options: Parameters<typeof createNotifyBus>[1] = {}) => {
    const bus = createNotifyBus(db, { heartbeatMs: 60_000, ...options })
    buses.push(bus)
    await bus.ready()
    return bus
  }
  const cacheOn = (bus: InvalidationBus) => {
    const cache = createCache({ bus })
    caches.push(cache)
    return cache
  }
  /** A connection that forwards to the test database and can cut or silence its listener. */
  const breakable = (db: Queryable) => {
    const control: { cut: (error: Error) => void; silent: boolean } = {
      cut: () => undefined,
      silent: false,
    }
    const wrapped: Queryable = {
      query: (text, params) => db.query(text, params),
      transaction: (work) => db.transaction(work),
      async listen(channel, onMessage, onError) {
        const listen = db.listen as NonNullable<Queryable['listen']>
        const stop = await listen(channel, (payload) => {
          if (!control.silent) onMessage(payload)
        })
        control.cut = (error) => {
          stop().then(() => onError?.(error))
        }
        return stop
      },
    }
    return { wrapped, control }
  }

  beforeAll(async () => {
    t = await openTestDatabase()
  })
  afterEach(async () => {
    for (const cache of caches.splice(0)) cache.close()
    await Promise.all(buses.splice(0).map((bus) => bus.close()))
    await t.db.query('delete from ballast_cache_bus_members')
  })
  afterAll(() => t.close())

  it('is a cache bus that resolves once every member applied the message', async () => {
    const busA: InvalidationBus = await open(t.db)
    const busB = await open(t.anotherProcess())
    const a = cacheOn(busA)
    const b = cacheOn(busB)
    await b.get('k', () => 'old', { tags: ['t'] })

    await a.invalidate({ tag: 't' })

    expect(await b.getWithInfo('k', () => 'new', { tags: ['t'] })).toMatchObject({
      value: 'new',
      provenance: 'miss',
    })
  })

  it('reports how many members received and confirmed a message', async () => {
    const a = await open(t.db)
    const b = await open(t.anotherProcess())
    const { seen, subscriber } = recorder()
    b.subscribe(subscriber)

    const report = await a.publish({
      namespace: 'ns',
      origin: 'o',
      tags: ['t'],
      keys: [],
      mode: 'hard',
    })

    expect(report).toEqual({ receivers: 2, acknowledged: 2, missing: [] })
    expect(seen).toEqual(['invalidate t'])
  })

  it('listens, then registers as a member, then resets its caches, in that order', async () => {
    const steps: string[] = []
    const recording: Queryable = {
      async query<Row>(text: string, params?: readonly unknown[]) {
        const result = await t.db.query<Row>(text, params)
        if (text.includes('insert into') && !text.includes('pg_notify')) steps.push('registered')
        return result
      },
      transaction: (work) => t.db.transaction(work),
      async listen(channel, onMessage, onError) {
        const stop = await (t.db.listen as NonNullable<Queryable['listen']>)(
          channel,
          onMessage,
          onError,
        )
        steps.push('listening')
        return stop
      },
    }
    const bus = createNotifyBus(recording, { heartbeatMs: 60_000 })
    buses.push(bus)
    bus.subscribe({
      invalidate: () => undefined,
      reset: () => steps.push('reset'),
      connected: () => steps.push('connected'),
    })

    await bus.ready()

    expect(steps).toEqual(['listening', 'registered', 'reset', 'connected'])
  })

  it('names a live member that did not confirm, and does not wait for an expired one', async () => {
    const bus = await open(t.db, { ackTimeoutMs: 50 })
    const cache = cacheOn(bus)
    await t.db.query(
      `insert into ballast_cache_bus_members (channel, member, seen_at) values
         ('ballast_cache', 'silent-member', now()),
         ('ballast_cache', 'gone-member', now() - interval '1 hour')`,
    )

    const invalidating = cache.invalidate({ tag: 't' })

    await expect(invalidating).rejects.toSatisfy(isCacheInvalidationUnconfirmedError)
    await expect(invalidating).rejects.toMatchObject({
      receivers: 2,
      acknowledged: 1,
      missing: ['silent-member'],
    })
  })

  it('refuses to publish before it listens and after it closed', async () => {
    const bus = createNotifyBus(t.db, { heartbeatMs: 60_000 })
    buses.push(bus)
    const message = { namespace: 'ns', origin: 'o', tags: ['t'], keys: [], mode: 'hard' as const }

    await expect(bus.publish(message)).rejects.toSatisfy(isNotifyBusUnavailableError)
    await bus.ready()
    await bus.close()
    await expect(bus.publish(message)).rejects.toThrow('the bus is closed')
  })

  it('leaves what it could not send in the cache outbox until it is back', async () => {
    const { wrapped, control } = breakable(t.db)
    const busA = await open(wrapped, { reconnectDelayMs: 1 })
    const busB = await open(t.anotherProcess())
    const a = cacheOn(busA)
    const b = cacheOn(busB)
    await b.get('k', () => 'old', { tags: ['t'] })

    const down = next(busA, 'down')
    control.cut(new Error('connection lost'))
    await down
    const back = next(busA, 'listening')
    await expect(a.invalidate({ tag: 't' })).rejects.toSatisfy(isCacheInvalidationPendingError)
    await back
    await a.whenPropagated()

    expect(await b.get('k', () => 'new', { tags: ['t'] })).toBe('new')
  })

  it('resets its caches each time it listens again', async () => {
    const { wrapped, control } = breakable(t.db)
    const bus = await open(wrapped, { reconnectDelayMs: 1 })
    const cache = cacheOn(bus)
    await cache.get('k', () => 'loaded before', { tags: ['t'] })

    const down = next(bus, 'down')
    const back = next(bus, 'listening')
    control.cut(new Error('connection lost'))
    expect((await down).error).toEqual(new Error('connection lost'))
    await back

    expect(cache.stats().resets).toBeGreaterThanOrEqual(1)
    expect(await cache.get('k', () => 'loaded after', { tags: ['t'] })).toBe('loaded after')
  })

  it('notices a listening connection that silently stopped delivering', async () => {
    const { wrapped, control } = breakable(t.db)
    const bus = await open(wrapped, { heartbeatMs: 20, reconnectDelayMs: 1 })

    const down = next(bus, 'down')
    control.silent = true
    const { error } = await down
    control.silent = false
    await next(bus, 'listening')

    expect(error).toEqual(new Error('the listening connection stopped delivering notifications'))
    expect(bus.snapshot()).toMatchObject({ state: 'listening' })
  })

  it('splits a message too large for one notification', async () => {
    const a = await open(t.db)
    const b = await open(t.anotherProcess())
    const { seen, subscriber } = recorder()
    b.subscribe(subscriber)
    const tags = Array.from({ length: 600 }, (_, i) => `user:${i}:property`)

    const report = await a.publish({ namespace: 'ns', origin: 'o', tags, keys: [], mode: 'hard' })

    expect(report.acknowledged).toBe(2)
    expect(seen.length).toBeGreaterThan(1)
    expect(seen.flatMap((line) => line.slice('invalidate '.length).split(','))).toEqual(tags)
  })

  it('leaves the member table when closed', async () => {
    const bus = await open(t.db)
    const members = () =>
      t.db.query<{ member: string }>('select member from ballast_cache_bus_members')

    expect((await members()).rows).toEqual([{ member: bus.id }])
    await bus.close()
    expect((await members()).rows).toEqual([])
  })

  it('reports its state in a snapshot and a health check', async () => {
    const { wrapped, control } = breakable(t.db)
    const bus = await open(wrapped, { reconnectDelayMs: 60_000 })
    const check = bus.healthCheck()

    expect(check).toMatchObject({ name: 'cache-bus', critical: false })
    expect(await check.run(new AbortController().signal)).toEqual({
      status: 'pass',
      observedValue: 'listening',
    })

    const down = next(bus, 'down')
    control.cut(new Error('connection lost'))
    await down
    expect(await check.run(new AbortController().signal)).toMatchObject({
      status: 'fail',
      observedValue: 'down',
    })
    expect(bus.snapshot()).toMatchObject({ state: 'down', lastError: 'connection lost' })
  })

  it('rejects options that cannot work', () => {
    const noListen: Queryable = { query: t.db.query, transaction: t.db.transaction }
    expect(() => createNotifyBus(noListen)).toThrow(TypeError)
    expect(() => createNotifyBus(t.db, { channel: 'Has Space' })).toThrow(
      'createNotifyBus: options.channel must match',
    )
    expect(() => createNotifyBus(t.db, { heartbeatMs: 100, leaseMs: 150 })).toThrow(RangeError)
  })

  it.skipIf(!databaseUrl)(
    'listens again after the server ends its listening connection (needs DATABASE_URL)',
    async () => {
      const bus = await open(t.db, { reconnectDelayMs: 1 })
      const { seen, subscriber } = recorder()
      bus.subscribe(subscriber)
      const down = next(bus, 'down')
      const back = next(bus, 'listening')

      await t.db.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and query ilike 'listen %'
            and pid <> pg_backend_pid()`,
      )
      await down
      await back

      expect(seen).toEqual(['reset', 'connected'])
    },
  )
})

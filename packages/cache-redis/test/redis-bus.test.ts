import type { BusSubscriber, InvalidationMessage } from '@ballast/cache'
import {
  createRedisBus,
  isRedisClosedError,
  isRedisUnavailableError,
  type RedisBus,
  type RedisBusEvents,
} from '@ballast/cache-redis'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connect, redisUrl, removeKeys, settle, unique } from './support'

/** A subscriber that records what the bus told it. */
function recorder() {
  const seen: string[] = []
  const subscriber: BusSubscriber = {
    invalidate: (message) => seen.push(`invalidate ${message.tags.join(',')}`),
    reset: (reason) => seen.push(`reset: ${reason}`),
    connected: () => seen.push('connected'),
  }

  return { seen, subscriber }
}

function message(tags: string[]): InvalidationMessage {
  return { namespace: 'ns', origin: 'test', tags, keys: [], mode: 'hard' }
}

function next<Name extends keyof RedisBusEvents>(
  bus: RedisBus,
  name: Name,
): Promise<RedisBusEvents[Name]> {
  return new Promise((resolve) => {
    const stop = bus.on(name, (event) => {
      stop()
      resolve(event)
    })
  })
}

describe.skipIf(!redisUrl)('createRedisBus against Redis (needs REDIS_URL)', () => {
  let redis: Redis
  let admin: Redis
  const buses: RedisBus[] = []

  const open = async (
    channel: string,
    options: { ackTimeoutMs?: number; logLength?: number } = {},
  ) => {
    const bus = createRedisBus({ redis, channel, heartbeatMs: 0, ...options })
    buses.push(bus)
    const { seen, subscriber } = recorder()
    bus.subscribe(subscriber)
    await bus.ready()
    seen.length = 0

    return { bus, seen }
  }

  /** Kills a bus's subscriber connection, as a network failure would. */
  const cut = async (bus: RedisBus) => {
    const clients = (await admin.client('LIST')) as string
    const line = clients.split('\n').find((entry) => entry.includes(`name=ballast-bus-${bus.id}`))
    const id = line?.match(/\bid=(\d+)/)?.[1]
    if (id === undefined) throw new Error('no subscriber connection found')
    await admin.client('KILL', 'ID', id)
  }

  beforeAll(async () => {
    redis = await connect(redisUrl as string)
    admin = await connect(redisUrl as string)
  })
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()))
  })
  afterAll(async () => {
    await removeKeys(admin, 'test-bus')
    redis.disconnect()
    admin.disconnect()
  })

  it('resolves a publish once every subscribed instance applied it', async () => {
    const channel = unique('bus')
    const a = await open(channel)
    const b = await open(channel)

    const report = await a.bus.publish(message(['t']))

    expect(report).toEqual({ receivers: 2, acknowledged: 2 })
    expect(b.seen).toEqual(['invalidate t'])
    expect(a.seen).toEqual(['invalidate t'])
  })

  it('reports a receiver that did not confirm in time', async () => {
    const channel = unique('bus')
    const a = await open(channel, { ackTimeoutMs: 50 })
    const silent = (await connect(redisUrl as string)) as Redis
    await silent.subscribe(channel)

    const report = await a.bus.publish(message(['t']))

    expect(report).toEqual({ receivers: 2, acknowledged: 1 })
    silent.disconnect()
  })

  it('refuses to publish before it listens and after it closed', async () => {
    const bus = createRedisBus({ redis, channel: unique('bus'), heartbeatMs: 0 })
    buses.push(bus)

    await expect(bus.publish(message(['t']))).rejects.toSatisfy(isRedisUnavailableError)
    await bus.ready()
    await bus.close()
    await expect(bus.publish(message(['t']))).rejects.toSatisfy(isRedisClosedError)
    await expect(bus.ready()).rejects.toSatisfy(isRedisClosedError)
  })

  it('tells its subscribers to reset when it first subscribes', async () => {
    const bus = createRedisBus({ redis, channel: unique('bus'), heartbeatMs: 0 })
    buses.push(bus)
    const { seen, subscriber } = recorder()
    bus.subscribe(subscriber)

    expect(await next(bus, 'synced')).toEqual({ replayed: 0, reset: true })
    expect(seen).toEqual(['reset: subscribed: earlier messages are unknown', 'connected'])
  })

  it('replays from the log what it missed while its subscription was down', async () => {
    const channel = unique('bus')
    const a = await open(channel)
    const b = await open(channel)

    const down = next(b.bus, 'down')
    await cut(b.bus)
    await down
    expect(b.bus.snapshot().state).toBe('down')
    expect(await a.bus.publish(message(['missed-1']))).toEqual({ receivers: 1, acknowledged: 1 })
    await a.bus.publish(message(['missed-2']))

    expect(await next(b.bus, 'synced')).toEqual({ replayed: 2, reset: false })
    expect(b.seen).toEqual(['invalidate missed-1', 'invalidate missed-2', 'connected'])
    expect(b.bus.snapshot()).toMatchObject({ state: 'listening', replayed: 2, resets: 1 })
  })

  it('resets instead when it missed more than the log keeps', async () => {
    const channel = unique('bus')
    const a = await open(channel, { logLength: 2 })
    const b = await open(channel, { logLength: 2 })

    const down = next(b.bus, 'down')
    await cut(b.bus)
    await down
    for (const tag of ['m1', 'm2', 'm3']) await a.bus.publish(message([tag]))

    expect(await next(b.bus, 'synced')).toEqual({ replayed: 0, reset: true })
    expect(b.seen).toEqual(['reset: missed more messages than the log keeps', 'connected'])
  })

  it('resets when Redis lost the channel state while it was away', async () => {
    const channel = unique('bus')
    const b = await open(channel)

    const down = next(b.bus, 'down')
    await cut(b.bus)
    await down
    await admin.del(`${channel}:state`, `${channel}:log`)

    expect(await next(b.bus, 'synced')).toEqual({ replayed: 0, reset: true })
    expect(b.seen[0]).toBe('reset: the channel state in Redis was lost or replaced')
  })

  it('keeps confirming while several messages are on their way at once', async () => {
    const channel = unique('bus')
    const a = await open(channel)
    const b = await open(channel)

    const reports = await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.bus.publish(message([`t${i}`]))),
    )

    expect(reports.every((report) => report.acknowledged === 2)).toBe(true)
    expect(b.seen).toHaveLength(50)
    expect(b.bus.snapshot()).toMatchObject({ sequence: 50, pendingAcks: 0 })
  })

  it('reports its state in a snapshot and a health check', async () => {
    const channel = unique('bus')
    const { bus } = await open(channel)
    const check = bus.healthCheck()

    expect(check).toMatchObject({ name: 'cache-bus', critical: false })
    expect(await check.run(new AbortController().signal)).toEqual({
      status: 'pass',
      observedValue: 'listening',
    })

    const down = next(bus, 'down')
    await cut(bus)
    await down
    expect(await check.run(new AbortController().signal)).toMatchObject({
      status: 'fail',
      observedValue: 'down',
    })
  })

  it('closes its subscriber connection and leaves the given client open', async () => {
    const { bus } = await open(unique('bus'))

    await bus.close()
    await settle()

    const clients = (await admin.client('LIST')) as string
    expect(clients).not.toContain(`name=ballast-bus-${bus.id}`)
    expect(redis.status).toBe('ready')
  })

  it('rejects options that cannot work', () => {
    expect(() => createRedisBus({ redis, channel: 'has space' })).toThrow(
      'createRedisBus: options.channel must be 1-128 characters of [A-Za-z0-9_.:{}-], ' +
        'received "has space"',
    )
    expect(() => createRedisBus({ redis, ackTimeoutMs: -1 })).toThrow(RangeError)
  })
})

import { spawnSync } from 'node:child_process'
import { isCacheInvalidationPendingError } from '@ballast/cache'
import type { RedisBus, RedisBusEvents } from '@ballast/cache-redis'
import { afterAll, describe, expect, it } from 'vitest'
import {
  closeInstance,
  type Instance,
  openInstance,
  readList,
  Source,
  writeTags,
} from './instances'
import { freePort, RedisServer, redisUrl, unique } from './support'

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0

function next<Name extends keyof RedisBusEvents>(bus: RedisBus, name: Name): Promise<unknown> {
  return new Promise((resolve) => {
    const stop = bus.on(name, (event) => {
      stop()
      resolve(event)
    })
  })
}

describe.skipIf(!redisUrl || !hasRedisServer)(
  'two instances while their Redis stops and restarts (needs REDIS_URL and redis-server on PATH)',
  () => {
    let server: RedisServer
    const instances: Instance[] = []

    afterAll(async () => {
      await Promise.all(instances.map(closeInstance))
      await server?.stop()
    })

    it('fails no read, keeps read-your-writes, serves nothing stale after', async () => {
      server = new RedisServer(await freePort())
      await server.start()
      const namespace = unique('restart')
      // Reconnect quickly, and fail commands rather than queue them while disconnected.
      const fast = { retryStrategy: () => 20, maxRetriesPerRequest: 0 }
      const a = await openInstance('a', server.url, namespace, `${namespace}:bus`, fast)
      const b = await openInstance('b', server.url, namespace, `${namespace}:bus`, fast)
      instances.push(a, b)
      const source = new Source()
      const users = [1, 2, 3, 4]
      const failures: unknown[] = []
      const stale: string[] = []

      /** Reads every user on every instance; `strict` demands the newest revision. */
      const readAll = async (strict: boolean) => {
        for (const instance of [a, b]) {
          for (const user of users) {
            const mustSee = strict ? source.revision(user) : (source.committed.get(user) ?? 0)
            const result = await readList(instance, source, user, 1).catch((error: unknown) => {
              failures.push(error)
              return undefined
            })
            if (
              result !== undefined &&
              result.provenance !== 'stale' &&
              result.value.revision < mustSee
            ) {
              stale.push(`${instance.name} read ${user} as ${result.value.revision} < ${mustSee}`)
            }
          }
        }
      }
      const write = async (instance: Instance, user: number) => {
        const revision = source.write(user)
        try {
          await instance.cache.invalidate({ tags: writeTags(user) })
          source.commit(user, revision)
          return 'delivered'
        } catch (error) {
          if (!isCacheInvalidationPendingError(error)) throw error
          return 'pending'
        }
      }

      // Up: every invalidation is delivered and confirmed.
      for (const user of users) expect(await write(user % 2 === 0 ? a : b, user)).toBe('delivered')
      await readAll(false)

      // Down: reads keep being answered (from memory, or from the source), writes wait in the
      // outbox, and the writing instance reads its own writes.
      const downs = [next(a.bus, 'down'), next(b.bus, 'down')]
      await server.stop()
      await Promise.all(downs)
      for (const user of users) {
        expect(await write(a, user)).toBe('pending')
        const own = await readList(a, source, user, 0)
        expect(own.value.revision).toBe(source.revision(user))
      }
      await readAll(false)
      expect(a.cache.stats().pendingInvalidations).toBe(users.length)

      // Back: both buses resync (Redis lost everything, so both drop their memory tiers), the
      // outbox is delivered, and from then on every read sees the newest revision.
      await server.start()
      await Promise.all([a.bus.ready(), b.bus.ready()])
      await a.cache.whenPropagated()
      await readAll(true)

      for (let round = 0; round < 3; round++) {
        for (const user of users)
          expect(await write(round % 2 === 0 ? b : a, user)).toBe('delivered')
        await readAll(true)
      }

      expect(failures).toEqual([])
      expect(stale).toEqual([])
      expect(b.cache.stats().resets).toBeGreaterThanOrEqual(2)
    })
  },
)

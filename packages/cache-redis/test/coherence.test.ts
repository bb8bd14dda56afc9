import { isCacheInvalidationUnconfirmedError } from '@ballast/cache'
import { afterEach, describe, expect, it } from 'vitest'
import {
  closeInstance,
  type Instance,
  keyOf,
  openInstance,
  readList,
  Source,
  tagsOf,
  writeTags,
} from './instances'
import { connect, redisUrl, removeKeys, unique } from './support'

describe.skipIf(!redisUrl)('two cache instances sharing Redis (needs REDIS_URL)', () => {
  let a: Instance
  let b: Instance
  let namespace: string

  afterEach(async () => {
    await Promise.all([a, b].map(closeInstance))
    const admin = await connect(redisUrl as string)
    await removeKeys(admin, namespace)
    admin.disconnect()
  })

  async function open() {
    namespace = unique('coherence')
    const channel = `${namespace}:bus`
    a = await openInstance('a', redisUrl as string, namespace, channel)
    b = await openInstance('b', redisUrl as string, namespace, channel)
  }

  it('never reads a write as fresh from either instance once invalidate() resolved', async () => {
    await open()
    const source = new Source()
    const users = [1, 2, 3]
    const violations: string[] = []
    let seed = 7
    // mulberry32: a small seeded generator, so a failure can be replayed.
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) % n
    }

    const read = async (instance: Instance, user: number) => {
      const mustSee = source.committed.get(user) ?? 0
      const result = await readList(instance, source, user, random(3))
      if (result.provenance !== 'stale' && result.value.revision < mustSee) {
        violations.push(
          `${instance.name} read ${user} as ${result.provenance} ` +
            `${result.value.revision} < ${mustSee}`,
        )
      }
    }
    const write = async (instance: Instance, user: number) => {
      const revision = source.write(user)
      await instance.cache.invalidate({ tags: writeTags(user) })
      source.commit(user, revision)
    }

    // Four workers at once, each a random mix of reads and writes on both instances.
    const worker = async () => {
      for (let step = 0; step < 150; step++) {
        const instance = random(2) === 0 ? a : b
        const user = users[random(users.length)] as number
        if (random(4) === 0) await write(instance, user)
        else await read(instance, user)
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])

    expect(violations).toEqual([])
    const answered = a.cache.stats().storeHits + b.cache.stats().storeHits
    expect(answered).toBeGreaterThan(0)
  })

  it('stores nowhere a load that raced a write on the other instance', async () => {
    await open()
    const source = new Source()
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let called: () => void = () => undefined
    const loading = new Promise<void>((resolve) => {
      called = resolve
    })

    const racing = b.cache.get(
      keyOf(1),
      async () => {
        const value = { user: 1, revision: source.revision(1) }
        called()
        await gate
        return value
      },
      { tags: tagsOf(1) },
    )
    await loading
    source.write(1)
    await a.cache.invalidate({ tags: writeTags(1) })
    release()

    expect(await racing).toEqual({ user: 1, revision: 0 })
    expect(await readList(b, source, 1, 0)).toMatchObject({
      value: { revision: 1 },
      provenance: 'miss',
    })
    expect(await readList(a, source, 1, 0)).toMatchObject({ value: { revision: 1 } })
  })

  it('serves a soft-invalidated entry of the other instance only as a fallback', async () => {
    await open()
    await a.cache.get('shared', () => 'old', { tags: ['t'] })
    await b.cache.get('shared', () => 'unused', { tags: ['t'] })

    await a.cache.invalidate({ tag: 't', mode: 'soft' })

    const failing = await b.cache.getWithInfo('shared', () => Promise.reject(new Error('down')))
    expect(failing).toMatchObject({ value: 'old', provenance: 'stale' })
    expect(await b.cache.get('shared', () => 'new', { tags: ['t'] })).toBe('new')
  })

  it('rejects invalidate() as unconfirmed when a subscriber does not confirm', async () => {
    await open()
    const silent = await connect(redisUrl as string)
    await silent.subscribe(`${namespace}:bus`)

    const invalidating = a.cache.invalidate({ tag: 't' })

    await expect(invalidating).rejects.toSatisfy(isCacheInvalidationUnconfirmedError)
    await expect(invalidating).rejects.toMatchObject({ receivers: 3, acknowledged: 2 })
    silent.disconnect()
  })
})

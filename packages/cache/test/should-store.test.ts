import { createCache, createMemoryStore } from '@ballast/cache'
import { describe, expect, it, vi } from 'vitest'
import { deferred, ManualClock } from './support'

const found = (value: unknown) => value !== null

describe('get with shouldStore', () => {
  it('returns a rejected value to its callers but keeps it nowhere', async () => {
    const cache = createCache({ clock: new ManualClock() })
    const loader = vi.fn(async () => null)

    expect(await cache.get('property:9', loader, { shouldStore: found })).toBeNull()
    expect(await cache.get('property:9', loader, { shouldStore: found })).toBeNull()

    expect(loader).toHaveBeenCalledTimes(2)
    expect(cache.stats().entries).toBe(0)
  })

  it('gives joiners of the load the same value', async () => {
    const cache = createCache({ clock: new ManualClock() })
    const load = deferred<string | null>()

    const first = cache.get('k', () => load.promise, { shouldStore: found })
    const joined = cache.getWithInfo('k', () => 'never', { shouldStore: found })
    load.resolve(null)

    expect(await first).toBeNull()
    expect(await joined).toMatchObject({ value: null, provenance: 'coalesced' })
  })

  it('drops the entry it would replace, so no fallback brings the old value back', async () => {
    const clock = new ManualClock()
    const cache = createCache({ clock, ttlMs: 1_000, graceMs: 60_000 })
    await cache.get('k', async () => 'row')
    clock.advance(1_000)

    await cache.get('k', async () => null, { shouldStore: found })
    const afterOutage = cache.getWithInfo('k', async () => {
      throw new Error('database down')
    })

    await expect(afterOutage).rejects.toThrow('database down')
  })

  it('keeps values it accepts, as without it', async () => {
    const cache = createCache({ clock: new ManualClock() })

    await cache.get('k', async () => 'row', { shouldStore: found })

    expect(await cache.getWithInfo('k', async () => 'other')).toMatchObject({
      value: 'row',
      provenance: 'hit',
    })
  })

  it('writes a rejected value to no shared store either', async () => {
    const clock = new ManualClock()
    const store = createMemoryStore({ clock })
    const writer = createCache({ clock, store })
    const reader = createCache({ clock, store })

    await writer.get('k', async () => null, { shouldStore: found })
    const read = await reader.getWithInfo('k', async () => 'loaded', { shouldStore: found })

    expect(read).toMatchObject({ value: 'loaded', provenance: 'miss' })
  })

  it('rejects a shouldStore that is not a function', async () => {
    const cache = createCache()

    await expect(
      cache.get('k', async () => 1, { shouldStore: 'yes' as unknown as () => boolean }),
    ).rejects.toThrow(TypeError)
  })
})

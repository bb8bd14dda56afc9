import { describe, expect, it } from 'vitest'
import { pageOf } from '../scenarios/soak'

describe('pageOf', () => {
  it('repeats no list page within 12,800 requests', () => {
    const keys = new Set<string>()
    for (let k = 0; k < 12_800; k++) {
      const { landlord, limit, offset } = pageOf(k)
      keys.add(`${landlord}:${limit}:${offset}`)
    }

    expect(keys.size).toBe(12_800)
  })

  it('asks only for pages the list route accepts, spread over every landlord', () => {
    const pages = Array.from({ length: 12_800 }, (_, k) => pageOf(k))

    expect(Math.min(...pages.map((p) => p.limit))).toBe(1)
    expect(Math.max(...pages.map((p) => p.limit))).toBe(40)
    expect(Math.min(...pages.map((p) => p.offset))).toBe(0)
    expect(Math.max(...pages.map((p) => p.offset))).toBe(39)
    expect(new Set(pages.map((p) => p.landlord)).size).toBe(8)
  })
})

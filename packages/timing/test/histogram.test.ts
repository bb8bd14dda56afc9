import { Histogram } from '@ballast/timing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/** The nearest-rank percentile of an exact, sorted sample. */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1] ?? Number.NaN
}

/** Milliseconds from 1 us to 1 hour, spread evenly over orders of magnitude. */
const STEPS = 1_000_000
const SPAN = Math.log10(3_600_000) + 3
const duration = fc.integer({ min: 0, max: STEPS }).map((step) => 10 ** ((step / STEPS) * SPAN - 3))
const durations = fc.array(fc.oneof(duration, fc.double({ min: 0, max: 50, noNaN: true })), {
  minLength: 1,
  maxLength: 400,
})
const percentile = fc.oneof(
  fc.constantFrom(0, 1, 50, 90, 95, 99, 99.9, 100),
  fc.double({ min: 0, max: 100, noNaN: true }),
)

describe('Histogram', () => {
  it('reports percentiles within value * relativeError + resolution of an exact sort', () => {
    fc.assert(
      fc.property(durations, fc.array(percentile, { minLength: 1 }), (values, ps) => {
        const histogram = new Histogram()
        for (const value of values) histogram.record(value)
        const sorted = values.toSorted((a, b) => a - b)

        for (const p of ps) {
          const exact = exactPercentile(sorted, p)
          const bound = exact * histogram.relativeError + histogram.resolution
          expect(Math.abs(histogram.percentile(p) - exact)).toBeLessThanOrEqual(bound)
        }
      }),
    )
  })

  it('keeps the documented error at other precisions and resolutions', () => {
    const options = fc.record({
      precisionBits: fc.integer({ min: 2, max: 10 }),
      resolution: fc.constantFrom(1, 0.01, 0.001),
    })
    fc.assert(
      fc.property(options, durations, percentile, (config, values, p) => {
        const histogram = new Histogram({ ...config, maxValue: 3_600_000 })
        for (const value of values) histogram.record(value)

        const exact = exactPercentile(
          values.toSorted((a, b) => a - b),
          p,
        )
        const bound = exact * 2 ** -config.precisionBits + config.resolution
        expect(Math.abs(histogram.percentile(p) - exact)).toBeLessThanOrEqual(bound)
      }),
    )
  })

  it('keeps count, sum, min and max exact', () => {
    fc.assert(
      fc.property(durations, (values) => {
        const histogram = new Histogram()
        for (const value of values) histogram.record(value)

        expect(histogram.count).toBe(values.length)
        expect(histogram.min).toBe(Math.min(...values))
        expect(histogram.max).toBe(Math.max(...values))
        expect(histogram.sum).toBeCloseTo(
          values.reduce((sum, value) => sum + value, 0),
          6,
        )
      }),
    )
  })

  it('never holds more than maxMemoryBytes, however many values it records', () => {
    const histogram = new Histogram()
    expect(histogram.bucketCount).toBe(886)
    expect(histogram.maxMemoryBytes).toBe(7168)

    for (let i = 0; i < 200_000; i++) histogram.record(0.001 * 2 ** (i % 33))
    expect(histogram.memoryBytes).toBe(histogram.maxMemoryBytes)
    for (let i = 0; i < 200_000; i++) histogram.record((i * 104_729) % 3_700_000)

    expect(histogram.memoryBytes).toBe(histogram.maxMemoryBytes)
    expect(histogram.count).toBe(400_000)
  })

  it('allocates only the powers of two its values fall in, once', () => {
    const histogram = new Histogram()
    expect(histogram.memoryBytes).toBe(0)

    for (let i = 0; i < 10_000; i++) histogram.record(100 + (i % 20))
    const oneBand = histogram.memoryBytes
    histogram.reset()
    histogram.record(110)

    expect(oneBand).toBe(256)
    expect(histogram.memoryBytes).toBe(oneBand)
  })

  it('counts values above maxValue in the top bucket and keeps max exact', () => {
    const histogram = new Histogram({ maxValue: 1000 })
    histogram.record(5)
    histogram.record(1_000_000)

    expect(histogram.max).toBe(1_000_000)
    expect(histogram.percentile(100)).toBe(1_000_000)
    expect(histogram.percentile(50)).toBe(5)
  })

  it('merges as if every value had been recorded in one histogram', () => {
    fc.assert(
      fc.property(durations, durations, (left, right) => {
        const merged = new Histogram()
        const other = new Histogram()
        const single = new Histogram()
        for (const value of left) merged.record(value)
        for (const value of right) other.record(value)
        for (const value of [...left, ...right]) single.record(value)

        merged.merge(other)

        expect(merged.count).toBe(single.count)
        expect(merged.min).toBe(single.min)
        expect(merged.max).toBe(single.max)
        for (const p of [1, 50, 99, 100]) expect(merged.percentile(p)).toBe(single.percentile(p))
      }),
    )
  })

  it('reads 0 everywhere while empty and after reset', () => {
    const histogram = new Histogram()
    const empty = () => [histogram.count, histogram.min, histogram.max, histogram.mean]

    expect(empty()).toEqual([0, 0, 0, 0])
    expect(histogram.percentile(99)).toBe(0)
    histogram.record(12)
    histogram.reset()
    expect(empty()).toEqual([0, 0, 0, 0])
    expect(histogram.percentile(50)).toBe(0)
  })

  it('rejects negative, NaN and infinite values', () => {
    const histogram = new Histogram()

    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => histogram.record(value)).toThrow(RangeError)
    }
    expect(() => histogram.record(-1)).toThrow(
      'Histogram.record: value must be a finite number >= 0, received -1',
    )
    expect(histogram.count).toBe(0)
  })

  it('rejects percentiles outside 0..100', () => {
    expect(() => new Histogram().percentile(101)).toThrow(
      new RangeError('Histogram.percentile: p must be a number from 0 to 100, received 101'),
    )
  })

  it('refuses to merge a histogram of another shape', () => {
    expect(() => new Histogram().merge(new Histogram({ precisionBits: 7 }))).toThrow(TypeError)
  })

  it.each([
    [{ resolution: 0 }, 'options.resolution must be a finite number > 0, received 0'],
    [{ precisionBits: 0 }, 'options.precisionBits must be an integer from 1 to 16, received 0'],
    [{ precisionBits: 2.5 }, 'options.precisionBits must be an integer from 1 to 16'],
    [{ maxValue: 1e12 }, 'options.maxValue must be from resolution to resolution * (2^32 - 1)'],
  ])('rejects bad options %o at construction', (options, message) => {
    expect(() => new Histogram(options)).toThrow(RangeError)
    expect(() => new Histogram(options)).toThrow(message)
  })
})

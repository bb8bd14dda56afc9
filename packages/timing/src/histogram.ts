import { describeValue } from './describeValue'

/** Options of {@link Histogram}. */
export interface HistogramOptions {
  /**
   * The smallest difference the histogram tells apart, in the unit you
   * record. Values below `2^precisionBits` resolutions are kept exactly to
   * this resolution. The default suits milliseconds: one microsecond.
   * @default 0.001
   */
  readonly resolution?: number
  /**
   * The largest value tracked with the documented error. Larger values are
   * counted in the top bucket: percentiles there read as about `maxValue`,
   * while `min`, `max`, `mean` and `count` stay exact. `maxValue / resolution`
   * must stay below 2^32. The default suits milliseconds: one hour.
   * @default 3_600_000
   */
  readonly maxValue?: number
  /**
   * Each power of two is split into `2^(precisionBits - 1)` equal buckets, so
   * a percentile is off by at most `2^-precisionBits` of its value plus one
   * `resolution` (1.56 % by default). One more bit halves the error and
   * doubles the memory.
   * @default 6
   */
  readonly precisionBits?: number
}

const DEFAULT_RESOLUTION = 0.001
const DEFAULT_MAX_VALUE = 3_600_000
const DEFAULT_PRECISION_BITS = 6
const MAX_UNITS = 2 ** 32 - 1

/**
 * A log-linear bucket histogram (in the manner of HdrHistogram) with bounded
 * memory: recording is O(1), percentiles cost one scan of the buckets between
 * `min` and `max`.
 *
 * Values are divided by `resolution` into whole units. Units below
 * `2^precisionBits` get one bucket each (band 0); above that, each power of two
 * is a band of `2^(precisionBits - 1)` buckets of equal width. A percentile is
 * reported as the middle of the bucket holding it, clamped to the exact
 * `[min, max]`, so it is off by at most `value * relativeError + resolution`.
 *
 * A band's counters are allocated the first time a value lands in it and kept
 * from then on (`reset()` zeroes them), so a histogram whose values span a
 * few powers of two holds only those bands, and recording allocates nothing
 * once they exist. With the defaults (milliseconds, 1 us resolution, up to one
 * hour, 6 bits: 1.56 %) a band is 256 bytes and all 27 bands together 7 KiB,
 * however many values are recorded.
 *
 * @example
 * ```ts
 * const histogram = new Histogram()
 * for (const ms of [12.5, 14, 40]) histogram.record(ms)
 * histogram.percentile(50) // 14, give or take 1.56 %
 * ```
 */
export class Histogram {
  /** The smallest difference told apart, in the recorded unit. */
  readonly resolution: number
  /** The largest value tracked with the documented error. */
  readonly maxValue: number
  /** Bits of precision: each power of two holds `2^(precisionBits - 1)` buckets. */
  readonly precisionBits: number
  /** The largest relative error of a percentile (plus one `resolution`): `2^-precisionBits`. */
  readonly relativeError: number
  /** How many buckets cover `0..maxValue`; fixed at construction. */
  readonly bucketCount: number
  /** The bytes of counters once every band is in use: the ceiling of `memoryBytes`. */
  readonly maxMemoryBytes: number

  readonly #scale: number
  readonly #maxUnits: number
  readonly #half: number
  readonly #bands: (Float64Array | undefined)[]
  #memoryBytes = 0
  #count = 0
  #sum = 0
  #min = Number.POSITIVE_INFINITY
  #max = Number.NEGATIVE_INFINITY

  /** @param options - resolution, range and precision */
  constructor(options: HistogramOptions = {}) {
    const { resolution, maxValue, precisionBits } = resolveHistogramOptions(
      options,
      'Histogram: options',
    )

    this.resolution = resolution
    this.maxValue = maxValue
    this.precisionBits = precisionBits
    this.relativeError = 2 ** -precisionBits
    this.#scale = 1 / resolution
    this.#maxUnits = Math.floor(maxValue * this.#scale)
    this.#half = 2 ** (precisionBits - 1)

    const topBand = bandOf(this.#maxUnits, precisionBits)
    const topOffset = offsetIn(topBand, this.#maxUnits, this.#half)
    this.bucketCount =
      (topBand === 0 ? 0 : 2 * this.#half + (topBand - 1) * this.#half) + topOffset + 1
    this.maxMemoryBytes = (2 * this.#half + topBand * this.#half) * COUNTER_BYTES
    this.#bands = new Array<Float64Array | undefined>(topBand + 1).fill(undefined)
  }

  /** How many values were recorded. */
  get count(): number {
    return this.#count
  }

  /** The sum of the recorded values (exact, not bucketed). */
  get sum(): number {
    return this.#sum
  }

  /** The smallest recorded value, exact; 0 while empty. */
  get min(): number {
    return this.#count === 0 ? 0 : this.#min
  }

  /** The largest recorded value, exact; 0 while empty. */
  get max(): number {
    return this.#count === 0 ? 0 : this.#max
  }

  /** The arithmetic mean of the recorded values, exact; 0 while empty. */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count
  }

  /** The bytes of counters allocated so far; never more than `maxMemoryBytes`. */
  get memoryBytes(): number {
    return this.#memoryBytes
  }

  /**
   * Records one value. O(1); allocates only the first time a value lands in
   * a power of two not seen before.
   * @param value - a finite number >= 0, in the unit of `resolution`
   * @throws RangeError when `value` is negative, NaN or infinite
   */
  record(value: number): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      throw new RangeError(
        `Histogram.record: value must be a finite number >= 0, received ${describeValue(value)}`,
      )
    }

    const units = Math.min(Math.floor(value * this.#scale), this.#maxUnits)
    const band = bandOf(units, this.precisionBits)
    const counts = this.#bands[band] ?? this.#allocate(band)
    const offset = offsetIn(band, units, this.#half)
    counts[offset] = (counts[offset] ?? 0) + 1
    this.#count++
    this.#sum += value
    if (value < this.#min) this.#min = value
    if (value > this.#max) this.#max = value
  }

  /**
   * The value below or at which `p` percent of the records fall (nearest
   * rank), within the documented error; exact for the first and last rank
   * (`min` and `max`); 0 while empty.
   * @param p - a percentage from 0 to 100
   * @throws RangeError when `p` is outside 0..100
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) {
      throw new RangeError(
        `Histogram.percentile: p must be a number from 0 to 100, received ${describeValue(p)}`,
      )
    }
    if (this.#count === 0) return 0

    const rank = Math.max(1, Math.ceil((p / 100) * this.#count))
    if (rank === 1) return this.#min
    if (rank >= this.#count) return this.#max

    const last = bandOf(this.#unitsOf(this.#max), this.precisionBits)
    let seen = 0
    for (let band = bandOf(this.#unitsOf(this.#min), this.precisionBits); band <= last; band++) {
      const counts = this.#bands[band]
      if (counts === undefined) continue

      for (let offset = 0; offset < counts.length; offset++) {
        seen += counts[offset] ?? 0
        if (seen >= rank) return this.#clamp(this.#bucketMiddle(band, offset))
      }
    }
    return this.#max
  }

  /**
   * Adds every record of `other` to this histogram, as if they had been
   * recorded here.
   * @throws TypeError when `other` has another resolution, range or precision
   */
  merge(other: Histogram): void {
    const sameShape =
      other.resolution === this.resolution &&
      other.precisionBits === this.precisionBits &&
      other.#maxUnits === this.#maxUnits
    if (!sameShape) {
      throw new TypeError(
        'Histogram.merge: other must have the same resolution, maxValue and precisionBits',
      )
    }
    if (other.#count === 0) return

    other.#bands.forEach((source, band) => {
      if (source === undefined) return
      const target = this.#bands[band] ?? this.#allocate(band)
      for (let offset = 0; offset < source.length; offset++) {
        target[offset] = (target[offset] ?? 0) + (source[offset] ?? 0)
      }
    })
    this.#count += other.#count
    this.#sum += other.#sum
    if (other.#min < this.#min) this.#min = other.#min
    if (other.#max > this.#max) this.#max = other.#max
  }

  /** Forgets every record; keeps the memory already allocated. */
  reset(): void {
    if (this.#count === 0) return

    for (const counts of this.#bands) counts?.fill(0)
    this.#count = 0
    this.#sum = 0
    this.#min = Number.POSITIVE_INFINITY
    this.#max = Number.NEGATIVE_INFINITY
  }

  #allocate(band: number): Float64Array {
    const counts = new Float64Array(band === 0 ? 2 * this.#half : this.#half)
    this.#bands[band] = counts
    this.#memoryBytes += counts.byteLength
    return counts
  }

  #unitsOf(value: number): number {
    return Math.min(Math.floor(value * this.#scale), this.#maxUnits)
  }

  #clamp(value: number): number {
    return Math.min(Math.max(value, this.#min), this.#max)
  }

  /** The middle of a bucket's range, back in the recorded unit. */
  #bucketMiddle(band: number, offset: number): number {
    if (band === 0) return (offset + 0.5) * this.resolution

    const width = 2 ** band
    const lowest = (offset + this.#half) * width
    return (lowest + width / 2) * this.resolution
  }
}

const COUNTER_BYTES = Float64Array.BYTES_PER_ELEMENT

/**
 * The band of a whole number of units (below 2^32): 0 for units below
 * `2^bits`, else how far the top `bits` bits must shift right to drop the rest.
 */
function bandOf(units: number, bits: number): number {
  const magnitude = 31 - Math.clz32(units)
  return magnitude < bits ? 0 : magnitude - bits + 1
}

/** The bucket of `units` inside its band. */
function offsetIn(band: number, units: number, half: number): number {
  return band === 0 ? units : (units >>> band) - half
}
/**
 * Applies the defaults to histogram options and checks them; `where` prefixes
 * every message, e.g. `'createRecorder: options.histogram'`.
 */
export function resolveHistogramOptions(
  options: HistogramOptions,
  where: string,
): Required<HistogramOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where} must be an object, received ${describeValue(options)}`)
  }
  const resolution = options.resolution ?? DEFAULT_RESOLUTION
  const maxValue = options.maxValue ?? DEFAULT_MAX_VALUE
  const precisionBits = options.precisionBits ?? DEFAULT_PRECISION_BITS
  validate(resolution, maxValue, precisionBits, where)

  return { resolution, maxValue, precisionBits }
}

function validate(
  resolution: number,
  maxValue: number,
  precisionBits: number,
  where: string,
): void {
  if (!(resolution > 0 && resolution < Number.POSITIVE_INFINITY)) {
    throw new RangeError(
      `${where}.resolution must be a finite number > 0, ` + `received ${describeValue(resolution)}`,
    )
  }
  if (!Number.isInteger(precisionBits) || precisionBits < 1 || precisionBits > 16) {
    throw new RangeError(
      `${where}.precisionBits must be an integer from 1 to 16, ` +
        `received ${describeValue(precisionBits)}`,
    )
  }
  const units = maxValue / resolution
  if (!(units >= 1 && units <= MAX_UNITS)) {
    throw new RangeError(
      `${where}.maxValue must be from resolution to resolution * (2^32 - 1), ` +
        `received ${describeValue(maxValue)}`,
    )
  }
}

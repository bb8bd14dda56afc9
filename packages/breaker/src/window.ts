/**
 * Counts calls and failures over a rolling window split into a fixed ring of
 * buckets.
 *
 * Memory is two arrays of `bucketCount` numbers whatever the traffic, and
 * recording or reading is O(1) except when the clock crosses into a new bucket,
 * which clears at most `bucketCount` buckets. Buckets are aligned to the clock
 * (bucket `k` covers `[k * bucketMs, (k + 1) * bucketMs)`), so a call is
 * forgotten once `bucketCount` newer buckets have begun: between `windowMs -
 * bucketMs` and `windowMs` after it ended.
 *
 * Calls may also be added undated through `undatedCalls`, which saves a clock
 * reading on a hot path: they are dated at the next reading (`advance` or
 * `record`). A reader always advances first, so undated calls are never missed,
 * but a call dated late is remembered for up to the gap between two readings
 * longer than it should be.
 */
export class RollingWindow {
  /** Calls in the window, failures included; exact after `advance`. */
  calls = 0
  /** Failures in the window. */
  failures = 0
  /** Calls that ended since the last clock reading, not yet in a bucket. */
  undatedCalls = 0

  private readonly bucketMs: number
  private readonly callsPerBucket: number[]
  private readonly failuresPerBucket: number[]
  /** Ring position of the newest bucket. */
  private head = 0
  /** Clock bucket number of the newest bucket. */
  private headIndex = Number.NEGATIVE_INFINITY
  /** Clock time at which the newest bucket ends. */
  private headEndMs = Number.NEGATIVE_INFINITY

  constructor(windowMs: number, bucketCount: number) {
    this.bucketMs = windowMs / bucketCount
    this.callsPerBucket = new Array<number>(bucketCount).fill(0)
    this.failuresPerBucket = new Array<number>(bucketCount).fill(0)
  }

  /** Records a call that ended at `now`, a failure when `failed` is true. */
  record(now: number, failed: boolean): void {
    this.advance(now)

    this.callsPerBucket[this.head] = (this.callsPerBucket[this.head] ?? 0) + 1
    this.calls++
    if (!failed) return

    this.failuresPerBucket[this.head] = (this.failuresPerBucket[this.head] ?? 0) + 1
    this.failures++
  }

  /**
   * Forgets the buckets that fell out of the window by `now`, then dates the
   * undated calls at `now`. A clock that went backwards keeps the newest
   * bucket, so such calls land there.
   */
  advance(now: number): void {
    if (now >= this.headEndMs) this.rotate(now)
    if (this.undatedCalls === 0) return

    this.callsPerBucket[this.head] = (this.callsPerBucket[this.head] ?? 0) + this.undatedCalls
    this.calls += this.undatedCalls
    this.undatedCalls = 0
  }

  /** Forgets every call. */
  clear(): void {
    this.callsPerBucket.fill(0)
    this.failuresPerBucket.fill(0)
    this.calls = 0
    this.failures = 0
    this.undatedCalls = 0
  }

  private rotate(now: number): void {
    const index = Math.floor(now / this.bucketMs)
    const steps = index - this.headIndex
    const size = this.callsPerBucket.length
    if (steps >= size) {
      this.callsPerBucket.fill(0)
      this.failuresPerBucket.fill(0)
      this.calls = 0
      this.failures = 0
    } else {
      for (let step = 0; step < steps; step++) {
        this.head = this.head + 1 === size ? 0 : this.head + 1
        this.calls -= this.callsPerBucket[this.head] ?? 0
        this.failures -= this.failuresPerBucket[this.head] ?? 0
        this.callsPerBucket[this.head] = 0
        this.failuresPerBucket[this.head] = 0
      }
    }

    this.headIndex = index
    this.headEndMs = (index + 1) * this.bucketMs
  }
}

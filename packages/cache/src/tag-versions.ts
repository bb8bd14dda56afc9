/** How an entry stands against the invalidations recorded since its load started. */
export const Standing = {
  /** No tag of the entry was invalidated after its load started. */
  Current: 0,
  /** A soft invalidation reached it: not fresh, still usable as a `stale` fallback. */
  SoftInvalidated: 1,
  /** A hard invalidation reached it: it must never be served again. */
  HardInvalidated: 2,
} as const

/** One of the values of {@link Standing}. */
export type Standing = (typeof Standing)[keyof typeof Standing]

/**
 * Tag versions drawn from one monotonic sequence.
 *
 * Invalidating a tag advances the sequence and records the new number as the tag's
 * version. A load remembers the sequence number current when it started; its result is
 * current as long as none of its tags has a version above that number. This is the same as
 * keeping a counter per tag and remembering each counter at load start, but an entry stores
 * one number instead of one per tag, and when nothing at all was invalidated since the load
 * started, a read needs no map look-up.
 *
 * The cost of invalidating a tag is one map write, whatever the number of entries it covers:
 * entries are never scanned, they are judged when read.
 */
export class TagVersions {
  #sequence = 0
  readonly #versions = new Map<string, number>()
  readonly #hardVersions = new Map<string, number>()

  /** The sequence number a load starting now must remember. */
  get sequence(): number {
    return this.#sequence
  }

  /** The number of tags with a recorded version, for statistics. */
  get size(): number {
    return this.#versions.size
  }

  /** Records an invalidation of every tag in `tags`; hard unless `soft` is true. */
  invalidate(tags: Iterable<string>, soft: boolean): void {
    this.#sequence += 1
    const version = this.#sequence

    for (const tag of tags) {
      this.#versions.set(tag, version)
      if (!soft) this.#hardVersions.set(tag, version)
    }
  }

  /**
   * Judges a result loaded under `tags` by a load that started at `loadSequence`. The hot
   * path: no allocation, and a single comparison when nothing was invalidated since.
   */
  standing(tags: readonly string[], loadSequence: number): Standing {
    if (loadSequence === this.#sequence) return Standing.Current

    let standing: Standing = Standing.Current

    for (let index = 0; index < tags.length; index++) {
      const tag = tags[index] as string
      const version = this.#versions.get(tag)

      if (version === undefined || version <= loadSequence) continue

      const hardVersion = this.#hardVersions.get(tag)
      if (hardVersion !== undefined && hardVersion > loadSequence) return Standing.HardInvalidated

      standing = Standing.SoftInvalidated
    }

    return standing
  }

  /**
   * Forgets the versions no entry can be judged by any more: those at or below the oldest
   * load sequence still alive. Such a version can never exceed a live load sequence, so
   * dropping it changes no verdict.
   */
  forgetBefore(oldestLiveSequence: number): void {
    for (const [tag, version] of this.#versions) {
      if (version <= oldestLiveSequence) this.#versions.delete(tag)
    }

    for (const [tag, version] of this.#hardVersions) {
      if (version <= oldestLiveSequence) this.#hardVersions.delete(tag)
    }
  }
}

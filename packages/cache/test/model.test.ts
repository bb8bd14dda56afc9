import { type Cache, type CacheResult, createCache, tagsForWrite } from '@ballast/cache'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  boundChecked,
  ClockCommand,
  KINDS,
  type Kind,
  keyOf,
  MAX_BYTES,
  SourceCommand,
  SourceDown,
  tagsOf,
  VALUE_BYTES,
  type Value,
} from './model-support'
import { ManualClock } from './support'

/**
 * A model-based test of the cache against a source of truth it cannot see into.
 *
 * The source holds one revision number per user. Writes bump a user's revision and then
 * invalidate what the write affects, as an application would. Reads of two keys per user
 * run concurrently; each loader snapshots the source when it is called and resolves whenever
 * the fast-check scheduler decides, so loads finish in any order, race invalidations and
 * overlap one another. The source can fail and recover, and the clock can jump.
 *
 * Properties checked on every answer and after every step:
 * (a) a read that began after a write's invalidate() resolved sees that write, unless it is
 *     flagged `stale`, in which case the source failed during the read and only a soft
 *     invalidation was skipped over (hard invalidations always hold);
 * (b) a value loaded for one user is never returned for another;
 * (c) the loader never runs twice at once for one key;
 * (d) the cache never holds more bytes than maxBytes.
 */

const USERS = [1, 2, 3] as const

type User = (typeof USERS)[number]

interface Model {
  /** What the source holds, per user. */
  readonly revision: Map<User, number>
  /** The newest revision whose invalidation has resolved, per user: what reads must see. */
  readonly committed: Map<User, number>
  /** The same, counting hard invalidations only: what even stale reads must see. */
  readonly hardCommitted: Map<User, number>
  failing: boolean
  failures: number
  readonly running: Map<string, number>
  readonly violations: string[]
}

interface Real {
  readonly cache: Cache
  readonly clock: ManualClock
  readonly scheduler: fc.Scheduler
}

class ReadCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: User,
    readonly kind: Kind,
  ) {}

  check(): boolean {
    return true
  }

  async run(model: Model, real: Real): Promise<void> {
    const key = keyOf(this.user, this.kind)
    const mustSee = model.committed.get(this.user) ?? 0
    const mustSeeEvenStale = model.hardCommitted.get(this.user) ?? 0
    const failuresAtStart = model.failures

    const loader = () => {
      const running = (model.running.get(key) ?? 0) + 1
      model.running.set(key, running)
      if (running > 1) model.violations.push(`(c) ${running} loads of ${key} at once`)

      const failing = model.failing
      const value: Value<User> = {
        user: this.user,
        kind: this.kind,
        revision: model.revision.get(this.user) ?? 0,
      }
      const settle = () => model.running.set(key, (model.running.get(key) ?? 1) - 1)

      return real.scheduler.schedule(Promise.resolve(), `load ${key}`).then(() => {
        settle()
        if (!failing) return value

        model.failures++
        throw new SourceDown(`source down for ${key}`)
      })
    }

    const reading = real.cache.getWithInfo<Value<User>>(key, loader, {
      tags: tagsOf(this.user, this.kind),
    })

    void reading.then(
      (result) => this.judge(model, result, mustSee, mustSeeEvenStale, failuresAtStart),
      (error: unknown) => {
        if (!(error instanceof SourceDown)) model.violations.push(`unexpected error ${error}`)
      },
    )
  }

  judge(
    model: Model,
    result: CacheResult<Value<User>>,
    mustSee: number,
    mustSeeEvenStale: number,
    failuresAtStart: number,
  ): void {
    const { value, provenance } = result

    if (value.user !== this.user || value.kind !== this.kind) {
      model.violations.push(`(b) ${this.user}/${this.kind} got ${value.user}/${value.kind}`)
    }

    if (provenance !== 'stale' && value.revision < mustSee) {
      model.violations.push(
        `(a) ${provenance} read of ${this.user}/${this.kind} saw ${value.revision} < ${mustSee}`,
      )
    }

    if (provenance === 'stale') {
      if (value.revision < mustSeeEvenStale) {
        model.violations.push(`(a) stale read skipped a hard invalidation of ${this.user}`)
      }
      if (model.failures === failuresAtStart) {
        model.violations.push(`(a) stale read of ${this.user}/${this.kind} without a failure`)
      }
    }
  }

  toString(): string {
    return `read(${this.user}, ${this.kind})`
  }
}

class WriteCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: User,
    readonly mode: 'hard' | 'soft',
    readonly by: 'tags' | 'keys',
  ) {}

  check(): boolean {
    return true
  }

  async run(model: Model, real: Real): Promise<void> {
    const revision = (model.revision.get(this.user) ?? 0) + 1
    model.revision.set(this.user, revision)

    if (this.by === 'tags') {
      const tags = tagsForWrite('item:update', { user: this.user, id: this.user })
      await real.cache.invalidate({ tags, mode: this.mode })
    } else {
      const keys = KINDS.map((kind) => keyOf(this.user, kind))
      await real.cache.invalidate({ keys, mode: this.mode })
    }

    model.committed.set(this.user, revision)
    if (this.mode === 'hard') model.hardCommitted.set(this.user, revision)
  }

  toString(): string {
    return `write(${this.user}, ${this.mode}, by ${this.by})`
  }
}

const user = fc.constantFrom(...USERS)
const commands = fc.commands(
  [
    fc.tuple(user, fc.constantFrom(...KINDS)).map(([u, kind]) => new ReadCommand(u, kind)),
    fc
      .tuple(
        user,
        fc.constantFrom('hard' as const, 'soft' as const),
        fc.constantFrom('tags' as const, 'keys' as const),
      )
      .map(([u, mode, by]) => new WriteCommand(u, mode, by)),
    fc.boolean().map((failing) => new SourceCommand<Model, Real>(failing)),
    fc.integer({ min: 1, max: 8_000 }).map((ms) => new ClockCommand<Model, Real>(ms)),
  ],
  { maxCommands: 60, size: 'medium' },
)

describe('createCache against a model of the source of truth', () => {
  it(
    'never serves a read older than a resolved invalidation, never mixes users, ' +
      'never loads a key twice at once, and stays within maxBytes',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), commands, async (scheduler, cmds) => {
          const clock = new ManualClock()
          const cache = createCache({
            clock,
            ttlMs: 1_000,
            graceMs: 5_000,
            maxBytes: MAX_BYTES,
            maxEntryBytes: MAX_BYTES,
            sizeOf: () => VALUE_BYTES,
          })
          const model: Model = {
            revision: new Map(),
            committed: new Map(),
            hardCommitted: new Map(),
            failing: false,
            failures: 0,
            running: new Map(),
            violations: [],
          }
          const withBoundCheck = [...cmds].map((command) =>
            boundChecked(command, MAX_BYTES, (real) => [real.cache]),
          )

          await fc.scheduledModelRun(
            scheduler,
            () => ({ model, real: { cache, clock, scheduler } }),
            withBoundCheck,
          )
          await scheduler.waitAll()

          expect(model.violations).toEqual([])
          expect(cache.stats().bytes).toBeLessThanOrEqual(MAX_BYTES)
        }),
        { numRuns: 1_000 },
      )
    },
  )
})

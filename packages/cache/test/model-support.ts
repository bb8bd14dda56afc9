import { type Cache, entityTag, userEntityTag, userKey } from '@ballast/cache'
import type fc from 'fast-check'
import type { ManualClock } from './support'

/**
 * What the model-based tests (`model.test.ts`, `model-instances.test.ts`) share: the source
 * of truth's values and failures, the keys and tags of a user's two views, and the commands
 * that do not depend on how many cache instances there are.
 */

/** The two views of a user the models read: a list and a detail. */
export const KINDS = ['list', 'detail'] as const

/** The byte bound of every cache in the models. */
export const MAX_BYTES = 1_500

/** What `sizeOf` says every value weighs, so a handful of entries fill a cache. */
export const VALUE_BYTES = 200

/** One of {@link KINDS}. */
export type Kind = (typeof KINDS)[number]

/** What the source answers for one user's view: the user's revision when it was read. */
export interface Value<User extends number> {
  readonly user: User
  readonly kind: Kind
  readonly revision: number
}

/** The error a loader throws while the source is failing. */
export class SourceDown extends Error {}

/** The key of a user's view. */
export function keyOf(user: number, kind: Kind): string {
  return kind === 'list' ? userKey(user, 'items:list') : userKey(user, 'items:get', { id: user })
}

/** The tags a read stores a user's view under. */
export function tagsOf(user: number, kind: Kind): string[] {
  return kind === 'list' ? [userEntityTag(user, 'item')] : [entityTag('item', user)]
}

/** Makes the source fail, or recover. */
export class SourceCommand<Model extends { failing: boolean }, Real>
  implements fc.AsyncCommand<Model, Real>
{
  constructor(readonly failing: boolean) {}

  check(): boolean {
    return true
  }

  async run(model: Model): Promise<void> {
    model.failing = this.failing
  }

  toString(): string {
    return this.failing ? 'source fails' : 'source recovers'
  }
}

/** Moves the caches' clock forward. */
export class ClockCommand<Model extends object, Real extends { readonly clock: ManualClock }>
  implements fc.AsyncCommand<Model, Real>
{
  constructor(readonly ms: number) {}

  check(): boolean {
    return true
  }

  async run(_model: Model, real: Real): Promise<void> {
    real.clock.advance(this.ms)
  }

  toString(): string {
    return `clock +${this.ms}ms`
  }
}

/** Wraps a command so property (d) is checked on every cache of `real` after every step. */
export function boundChecked<Model extends { readonly violations: string[] }, Real>(
  command: fc.AsyncCommand<Model, Real>,
  maxBytes: number,
  cachesOf: (real: Real) => readonly Cache[],
): fc.AsyncCommand<Model, Real> {
  return {
    check: (model) => command.check(model),
    run: async (model, real) => {
      await command.run(model, real)

      for (const cache of cachesOf(real)) {
        const bytes = cache.stats().bytes
        if (bytes > maxBytes) model.violations.push(`(d) ${bytes} bytes held`)
      }
    },
    toString: () => command.toString(),
  }
}

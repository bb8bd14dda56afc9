import type { Clock } from '@ballast/breaker'

/** A clock the test moves by hand. */
export interface FakeClock extends Clock {
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void
}

/** Creates a fake clock that starts at `startMs`. */
export function fakeClock(startMs = 1_000_000): FakeClock {
  let nowMs = startMs
  return {
    now: () => nowMs,
    advance: (ms) => {
      nowMs += ms
    },
  }
}

/** A promise with its settle functions, for calls the test finishes later. */
export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

/** Creates a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** An error the default rule counts. */
export const boom = new Error('dependency down')

/** A call that fails with `boom`. */
export const fail = async (): Promise<never> => {
  throw boom
}

/** A call that succeeds with `'ok'`. */
export const succeed = async (): Promise<string> => 'ok'

/** Runs `call` and returns what it rejected with, or fails the test if it resolved. */
export async function rejectionOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call
  } catch (error) {
    return error
  }
  throw new Error('expected the call to reject')
}

/** Makes `count` calls that fail, swallowing their errors. */
export async function failTimes(
  breaker: { execute(fn: () => Promise<never>): Promise<never> },
  count: number,
): Promise<void> {
  for (let i = 0; i < count; i++) await breaker.execute(fail).catch(() => undefined)
}

import type { Clock } from '@ballast/cache'

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(public time = 1_000_000) {}

  now(): number {
    return this.time
  }

  advance(ms: number): void {
    this.time += ms
  }
}

/** A promise with its settle functions exposed, to resolve a load at a chosen moment. */
export function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })

  return { promise, resolve, reject }
}

/** Lets every already-queued promise callback run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

import type { Queryable } from './queryable'

/** The longest wait between two attempts to subscribe again, in milliseconds. */
export const maxReconnectDelayMs = 30_000

/** What a kept subscription tells its owner. */
export interface SubscriptionHandlers {
  /** A notification arrived. */
  readonly onNotice: () => void
  /** The subscription is in place, the first time or again after a failure. */
  readonly onListening: () => void
  /** Subscribing failed, or an established subscription broke; a retry is scheduled. */
  readonly onError: (error: unknown) => void
}

/** A subscription that keeps itself alive. */
export interface KeptSubscription {
  /** Stops retrying and unsubscribes. */
  close(): Promise<void>
}

/**
 * Subscribes to `channel` and subscribes again, after `reconnectDelayMs` doubling per
 * failed attempt up to {@link maxReconnectDelayMs}, whenever subscribing fails or the
 * subscription breaks. The retry timer is `unref()`ed.
 */
export function keepListening(
  listen: NonNullable<Queryable['listen']>,
  channel: string,
  handlers: SubscriptionHandlers,
  reconnectDelayMs: number,
): KeptSubscription {
  let closed = false
  let attempt = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let current: object | undefined
  let unsubscribe: (() => Promise<void>) | undefined
  let pending: Promise<void>

  function retry(): void {
    if (closed || timer) return
    const delay = Math.min(reconnectDelayMs * 2 ** attempt, maxReconnectDelayMs)
    attempt++
    timer = setTimeout(() => {
      timer = undefined
      pending = subscribe()
    }, delay)
    timer.unref()
  }

  function lost(error: unknown): void {
    current = undefined
    const dead = unsubscribe
    unsubscribe = undefined
    dead?.().catch(() => undefined)
    retry()
    handlers.onError(error)
  }

  async function subscribe(): Promise<void> {
    const token = {}
    current = token
    let stop: () => Promise<void>
    try {
      stop = await listen(channel, handlers.onNotice, (error) => {
        if (current === token) lost(error)
      })
    } catch (error) {
      if (current === token) current = undefined
      if (closed) return
      retry()
      handlers.onError(error)
      return
    }

    if (closed || current !== token) {
      await stop().catch(() => undefined)
      return
    }
    unsubscribe = stop
    attempt = 0
    handlers.onListening()
  }

  pending = subscribe()

  return {
    async close() {
      if (closed) return
      closed = true
      if (timer) clearTimeout(timer)
      timer = undefined
      await pending
      current = undefined
      const stop = unsubscribe
      unsubscribe = undefined
      await stop?.()
    },
  }
}

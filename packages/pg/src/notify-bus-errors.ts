import { BallastPgError } from './errors'

/** Code of {@link NotifyBusUnavailableError}. */
export const NOTIFY_BUS_UNAVAILABLE = 'BALLAST_PG_BUS_UNAVAILABLE'

/**
 * The bus cannot publish now: it is not listening (so it could not collect confirmations),
 * it was closed, or PostgreSQL refused the `NOTIFY` (`cause`). The cache keeps the
 * invalidation in its outbox and sends it when the bus listens again.
 */
export class NotifyBusUnavailableError extends BallastPgError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(NOTIFY_BUS_UNAVAILABLE, `The invalidation bus cannot publish: ${reason}`, options)
    this.name = 'NotifyBusUnavailableError'
  }
}

/** Whether `error` is a {@link NotifyBusUnavailableError}, from any copy of this package. */
export function isNotifyBusUnavailableError(error: unknown): error is NotifyBusUnavailableError {
  return (
    typeof error === 'object' &&
    error !== null &&
    Reflect.get(error, 'code') === NOTIFY_BUS_UNAVAILABLE
  )
}

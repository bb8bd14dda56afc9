import type { RegistryOptions } from './install'

/** A source of time in milliseconds. */
export interface Clock {
  /** The current time in milliseconds (only differences are used). */
  now(): number
}

/** A pino-compatible logger; the client only warns, and only when an event listener throws. */
export interface PgLogger {
  /** Logs a warning with structured fields first, as pino does. */
  warn(obj: object, msg?: string): void
}

/** How a function client resolves and refreshes versions. */
export interface FunctionClientOptions extends RegistryOptions {
  /**
   * How often the client re-reads the registry, in milliseconds. It does so even when it
   * listens for NOTIFY, because a notification can be missed. The timer is `unref()`ed.
   * `0` turns it off; call `refresh()` yourself then.
   * @default 1000
   */
  readonly refreshIntervalMs?: number
  /**
   * Versions this build was made for, by function name. A pinned function is always
   * called at its pinned version, whatever is active.
   * @default {}
   */
  readonly pins?: Readonly<Record<string, number>>
  /**
   * Listen for activations with `db.listen` when the connection offers it.
   * @default true
   */
  readonly listen?: boolean
  /**
   * How long to wait before subscribing again after the NOTIFY subscription failed, in
   * milliseconds; the wait doubles with each failed attempt, up to 30 seconds. Every new
   * subscription is followed by a registry read, since notifications sent meanwhile are
   * lost.
   * @default 100
   */
  readonly reconnectDelayMs?: number
  /**
   * Measures call durations.
   * @default performance
   */
  readonly clock?: Clock
  /**
   * Told when an event listener throws.
   * @default none: such errors are dropped
   */
  readonly logger?: PgLogger
}

/** Per-call options. */
export interface FunctionCallOptions {
  /** Call this version instead of the pinned or active one. */
  readonly version?: number
  /**
   * Rejects the call with the signal's reason when it aborts. The statement already sent
   * runs to its end on the server; only the wait is cut short.
   */
  readonly signal?: AbortSignal
}

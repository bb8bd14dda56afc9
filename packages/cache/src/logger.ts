/**
 * The part of a pino-compatible logger the cache uses. Pass a pino instance (or a child of
 * one); the cache writes nothing anywhere unless one is given.
 */
export interface CacheLogger {
  /** Logs a condition an operator should see, such as a stale entry served after a failure. */
  warn(details: object, message?: string): void
}

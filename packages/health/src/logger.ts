/**
 * The part of a pino-compatible logger the health object uses. It warns only
 * when an event listener throws; everything else is an event.
 */
export interface HealthLogger {
  /** Logs a warning with structured fields first, as pino does. */
  warn(details: object, message?: string): void
}

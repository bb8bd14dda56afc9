import { DatabaseStoppedError } from './database'

/**
 * SQLSTATE classes in which the database, not the request, is at fault: connection
 * exceptions (08), insufficient resources (53), operator intervention such as a shutdown or
 * a statement timeout (57), system errors (58) and internal errors (XX).
 */
const OUTAGE_CLASSES = new Set(['08', '53', '57', '58', 'XX'])

const SQLSTATE = /^[0-9A-Z]{5}$/

/** The SQLSTATE an error from `pg` or PGlite carries, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : null

  return typeof code === 'string' && SQLSTATE.test(code) ? code : undefined
}

/**
 * Whether an error means the database is unavailable: what a circuit breaker should count.
 * A constraint violation, a bad value or a missing row is the database answering; a refused
 * connection, a dropped socket, a shutdown or a timeout is the database not answering.
 * Errors raised by `@ballast/pg` before the database is asked (unknown function, wrong
 * argument count) are bugs in this server, not outages.
 */
export function isDatabaseOutage(error: unknown): boolean {
  if (error instanceof DatabaseStoppedError) return true

  const state = sqlState(error)
  if (state !== undefined) return OUTAGE_CLASSES.has(state.slice(0, 2))

  const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : null
  if (typeof code === 'string' && code.startsWith('BALLAST_PG_')) {
    return code === 'BALLAST_PG_CLIENT_CLOSED'
  }

  // Socket errors (ECONNREFUSED, ECONNRESET), "Connection terminated", a closed PGlite and
  // the timing package's deadline all land here.
  return true
}

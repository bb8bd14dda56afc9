import type { FastifyRequest } from 'fastify'
import { tokenRead } from './cache-plan'
import { cachedRead } from './cached-read'
import { unauthorized } from './http-errors'
import type { Services } from './services'

/** The landlord a request acts for. */
export interface Landlord {
  readonly id: number
  readonly name: string
  readonly email: string
}

/** What a bearer token may look like; anything else is refused before the database is asked. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{8,256}$/

/**
 * How long a validated token stays cached. Short, because a token revoked in the database
 * keeps working until its entry expires; long enough that a busy client does not ask the
 * database on every request. During a database outage the grace window lets known tokens
 * keep reading (a revocation made during the outage waits for the database's return).
 */
const TOKEN_TTL_MS = 60_000

/**
 * The landlord behind the request's `Authorization: Bearer` token, timed as a critical
 * operation. A missing, malformed, unknown, expired or revoked token is a 401 whose message
 * does not say which, so a caller learns nothing about other people's tokens.
 */
export async function authenticate(
  services: Services,
  request: FastifyRequest,
  signal: AbortSignal,
): Promise<Landlord> {
  const token = bearerToken(request.headers.authorization)
  const read = tokenRead(token)
  const started = performance.now()
  let landlord: Landlord | null

  // Timed by hand rather than with `recorder.time`: the request's own deadline already bounds
  // this step, and a second deadline would cost a timer and a signal on every request.
  try {
    landlord = await cachedRead<Landlord>(
      services,
      request,
      read,
      (loadSignal) => services.calls.call('authenticate', [token], loadSignal),
      signal,
      { ttlMs: TOKEN_TTL_MS, reportsCache: false, timingName: 'auth' },
    )
  } catch (error) {
    services.recorder.record('critical', 'authenticate', performance.now() - started, {
      failed: true,
    })
    throw error
  }

  services.recorder.record('critical', 'authenticate', performance.now() - started)
  if (landlord === null) throw unauthorized('the bearer token is not valid')

  request.state.landlordId = landlord.id

  return landlord
}

function bearerToken(header: string | undefined): string {
  if (header === undefined) throw unauthorized('send an Authorization: Bearer <token> header')

  const match = /^Bearer +(\S+)$/i.exec(header)
  const token = match?.[1]
  if (token === undefined || !TOKEN_PATTERN.test(token)) {
    throw unauthorized('the bearer token is not valid')
  }

  return token
}

import { isCircuitOpenError } from '@ballast/breaker'
import { isTimeoutError } from '@ballast/timing'
import { DatabaseUnavailableError } from './database-calls'
import { isDatabaseOutage, sqlState } from './outage'

/** The body of every error response: a stable code, a message for people, maybe a field. */
export interface ErrorBody {
  /** Stable, machine-readable: `bad_request`, `unauthorized`, `not_found`, ... */
  readonly error: string
  /** What went wrong, without internals: no stack, no SQL. */
  readonly message: string
  /** The input field at fault, as a JSON pointer-like path (`body.rentCents`). */
  readonly field?: string
}

/** An error that is already an HTTP answer. */
export class HttpError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string | undefined

  constructor(status: number, code: string, message: string, field?: string) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.code = code
    this.field = field
  }
}

/** The resource does not exist, or belongs to another landlord: the two look the same. */
export function notFound(what: string): HttpError {
  return new HttpError(404, 'not_found', `${what} not found`)
}

/** No usable bearer token. */
export function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message)
}

/** An HTTP answer to an error: status, body and any headers. */
export interface ErrorAnswer {
  readonly status: number
  readonly body: ErrorBody
  readonly headers: Readonly<Record<string, string>>
  /** Whether this is a fault of the server worth an error log line with the cause. */
  readonly unexpected: boolean
}

interface ValidationIssue {
  readonly instancePath?: string
  readonly message?: string
  readonly params?: Record<string, unknown>
}

/**
 * Maps any error a route can raise to its answer. Expected conditions get a 4xx or 503 and
 * a message safe to show; anything else is a 500 whose body says nothing about the cause.
 */
export function answerFor(error: unknown): ErrorAnswer {
  if (error instanceof HttpError) {
    const body = error.field === undefined ? {} : { field: error.field }
    return answer(error.status, { error: error.code, message: error.message, ...body })
  }

  const validation = validationAnswer(error)
  if (validation !== undefined) return validation

  const framework = frameworkAnswer(error)
  if (framework !== undefined) return framework

  if (isCircuitOpenError(error)) {
    const seconds = Math.max(1, Math.ceil((error.retryAfterMs ?? 1_000) / 1_000))
    return answer(
      503,
      { error: 'unavailable', message: 'the database is unavailable, try again later' },
      { 'retry-after': String(seconds) },
    )
  }

  if (isTimeoutError(error)) {
    return answer(503, { error: 'timeout', message: 'the request took too long' })
  }

  const state = sqlState(error)
  if (state !== undefined && !isDatabaseOutage(error)) return constraintAnswer(state)

  if (error instanceof DatabaseUnavailableError) {
    return answer(503, { error: 'unavailable', message: 'the database is unavailable' })
  }

  return {
    ...answer(500, { error: 'internal', message: 'internal server error' }),
    unexpected: true,
  }
}

function answer(
  status: number,
  body: ErrorBody,
  headers: Record<string, string> = {},
): ErrorAnswer {
  return { status, body, headers, unexpected: false }
}

/** Fastify's schema validation errors carry `validation` and `validationContext`. */
function validationAnswer(error: unknown): ErrorAnswer | undefined {
  if (typeof error !== 'object' || error === null) return undefined

  const issues = Reflect.get(error, 'validation') as ValidationIssue[] | undefined
  if (!Array.isArray(issues) || issues.length === 0) return undefined

  const part = String(Reflect.get(error, 'validationContext') ?? 'request')
  const issue = issues[0] as ValidationIssue
  const field = fieldOf(part, issue)

  return answer(400, {
    error: 'bad_request',
    message: `${field} ${issue.message ?? 'is invalid'}`,
    field,
  })
}

function fieldOf(part: string, issue: ValidationIssue): string {
  const path = (issue.instancePath ?? '').split('/').filter(Boolean)
  const named = issue.params?.missingProperty ?? issue.params?.additionalProperty
  if (typeof named === 'string') path.push(named)

  return [part, ...path].join('.')
}

/**
 * Errors Fastify raises itself before a route runs: a body that is not JSON, too large, or
 * of an unsupported media type. They carry a 4xx `statusCode` and a `FST_` code.
 */
function frameworkAnswer(error: unknown): ErrorAnswer | undefined {
  if (typeof error !== 'object' || error === null) return undefined

  const status = Reflect.get(error, 'statusCode')
  const code = Reflect.get(error, 'code')
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined
  if (typeof code !== 'string' || !code.startsWith('FST_')) return undefined

  const messages: Record<number, [string, string]> = {
    413: ['payload_too_large', 'the request body is too large'],
    415: ['unsupported_media_type', 'send the body as application/json'],
  }
  const [name, message] = messages[status] ?? ['bad_request', 'the request could not be read']

  return answer(status, { error: name, message })
}

/** A database error about the data: the request asked for something the schema forbids. */
function constraintAnswer(state: string): ErrorAnswer {
  if (state === '23505') {
    return answer(409, { error: 'conflict', message: 'a record with these values exists' })
  }
  if (state === '23503') {
    return answer(409, { error: 'conflict', message: 'a related record is missing' })
  }
  if (state.startsWith('22') || state.startsWith('23')) {
    return answer(400, { error: 'bad_request', message: 'a value is out of the allowed range' })
  }

  return {
    ...answer(500, { error: 'internal', message: 'internal server error' }),
    unexpected: true,
  }
}

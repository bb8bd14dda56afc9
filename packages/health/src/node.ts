import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe } from './describe'
import {
  createHealthHandlers,
  type HealthPaths,
  type HealthResponse,
  resolvePaths,
} from './handlers'
import type { Health } from './health'

/** Options of {@link createNodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * Where the three endpoints live.
   * @default { liveness: '/health/ping', readiness: '/health/ready', report: '/health' }
   */
  readonly paths?: HealthPaths
}

/**
 * Answers a request to one of the health endpoints and returns `true`, or
 * returns `false` without touching the response for any other path.
 */
export type NodeHealthHandler = (request: IncomingMessage, response: ServerResponse) => boolean

/** The part of a Node HTTP server that request tracking uses. */
export interface RequestEmitter {
  /** Adds a `'request'` listener before the others. */
  prependListener(
    event: 'request',
    listener: (request: IncomingMessage, response: ServerResponse) => void,
  ): unknown
  /** Removes a `'request'` listener. */
  removeListener(
    event: 'request',
    listener: (request: IncomingMessage, response: ServerResponse) => void,
  ): unknown
}

const NOT_ALLOWED = Object.freeze({ allow: 'GET, HEAD', 'content-length': '0' })

/**
 * Creates a `node:http` request handler for the health endpoints. It answers
 * GET and HEAD (405 for other methods) and ignores the query string.
 *
 * @example
 * ```ts
 * const answerHealth = createNodeHandler(health)
 * const server = createServer((request, response) => {
 *   if (answerHealth(request, response)) return
 *   app(request, response)
 * })
 * ```
 */
export function createNodeHandler(
  health: Health,
  options: NodeHandlerOptions = {},
): NodeHealthHandler {
  const paths = resolvePaths(options.paths, 'createNodeHandler: options.paths')
  const handlers = createHealthHandlers(health)
  const routes = new Map<string, () => HealthResponse>([
    [paths.liveness, handlers.liveness],
    [paths.readiness, handlers.readiness],
    [paths.report, handlers.report],
  ])

  return (request, response) => {
    const url = request.url ?? '/'
    const query = url.indexOf('?')
    const answer = routes.get(query === -1 ? url : url.slice(0, query))
    if (answer === undefined) return false

    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, NOT_ALLOWED).end()
      return true
    }
    const { status, headers, body } = answer()
    response.writeHead(status, headers)
    response.end(request.method === 'HEAD' ? undefined : body)

    return true
  }
}

/**
 * Counts every request of `server` in flight for the drain, from its first
 * byte until its response closes, and sends responses with
 * `connection: close` once draining. The listener is added before the
 * others. Returns a function that stops tracking.
 *
 * @example
 * ```ts
 * trackNodeRequests(health, server)
 * health.addServer('http', server)
 * ```
 */
export function trackNodeRequests(health: Health, server: RequestEmitter): () => void {
  if (
    typeof server !== 'object' ||
    server === null ||
    typeof server.prependListener !== 'function'
  ) {
    throw new TypeError(
      `trackNodeRequests: server must be a node:http server, received ${describe(server)}`,
    )
  }
  const listener = (_request: IncomingMessage, response: ServerResponse) => {
    health.trackResponse(response)
  }
  server.prependListener('request', listener)

  let tracking = true
  return () => {
    if (!tracking) return
    tracking = false
    server.removeListener('request', listener)
  }
}

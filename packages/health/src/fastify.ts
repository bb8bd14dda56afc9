import { describe } from './describe'
import type { DrainableServer } from './drain'
import {
  createHealthHandlers,
  type HealthPaths,
  type HealthResponse,
  resolvePaths,
} from './handlers'
import type { Health } from './health'
import type { TrackableResponse } from './requests'

/** The part of a Fastify reply the plugin uses. */
export interface FastifyReplyLike {
  /** Sets the status code. */
  code(statusCode: number): unknown
  /** Sets several headers. */
  headers(values: Readonly<Record<string, string>>): unknown
  /** Sends the payload. */
  send(payload: string): unknown
  /** The underlying Node response. */
  readonly raw: TrackableResponse
}

/**
 * The part of a Fastify instance the plugin uses, typed by shape so that this
 * package does not depend on Fastify.
 */
export interface FastifyLike {
  /** The underlying Node server. */
  readonly server: DrainableServer
  /** Adds a GET route (Fastify adds HEAD beside it). */
  get(path: string, handler: (request: unknown, reply: FastifyReplyLike) => void): unknown
  /** Adds an `onRequest` hook. */
  addHook(
    name: 'onRequest',
    hook: (request: unknown, reply: FastifyReplyLike, done: () => void) => void,
  ): unknown
  /** Closes the instance, running its `onClose` hooks. */
  close(): PromiseLike<unknown>
}

/** Options of {@link fastifyHealth}. */
export interface FastifyHealthOptions {
  /** The health object to answer from. */
  readonly health: Health
  /**
   * Where the three endpoints live.
   * @default { liveness: '/health/ping', readiness: '/health/ready', report: '/health' }
   */
  readonly paths?: HealthPaths
  /**
   * Whether to count every request of the instance in flight for the drain
   * (an `onRequest` hook on the root instance), and send `connection: close`
   * once draining.
   * @default true
   */
  readonly trackRequests?: boolean
  /**
   * Whether a drain should close the instance: its server is registered with
   * `health.addServer('fastify', instance.server)` (stops accepting after the
   * readiness delay) and `instance.close()` with
   * `health.addCloser('fastify', ...)` (runs the `onClose` hooks after the grace
   * period). Closers run in the order added, so register the plugin before
   * adding closers for pools the routes use.
   * @default true
   */
  readonly closeOnDrain?: boolean
}

/** The type of {@link fastifyHealth}. */
export type FastifyHealthPlugin = (
  instance: FastifyLike,
  options: FastifyHealthOptions,
) => Promise<void>

/**
 * A Fastify plugin serving the health endpoints, tracking requests for the
 * drain and closing the instance when drained. It is not encapsulated (like a
 * plugin wrapped by fastify-plugin), so its hook sees every route.
 *
 * @example
 * ```ts
 * const app = Fastify()
 * await app.register(fastifyHealth, { health })
 * await app.listen({ port: 3000 })
 * await health.start()
 * health.handleSignals()
 * ```
 */
export const fastifyHealth: FastifyHealthPlugin = Object.defineProperties(registerHealth, {
  // What fastify-plugin sets: run in the parent's context rather than a child
  // one, so the hook applies to every route, and name the plugin in errors.
  [Symbol.for('skip-override')]: { value: true },
  [Symbol.for('fastify.display-name')]: { value: '@ballast/health' },
})

async function registerHealth(instance: FastifyLike, options: FastifyHealthOptions): Promise<void> {
  const where = 'fastifyHealth: options'
  if (typeof options !== 'object' || options === null || typeof options.health !== 'object') {
    throw new TypeError(
      `${where} must be an object with a health field, received ${describe(options)}`,
    )
  }
  const { health } = options
  const paths = resolvePaths(options.paths, `${where}.paths`)
  const handlers = createHealthHandlers(health)

  instance.get(paths.liveness, route(handlers.liveness))
  instance.get(paths.readiness, route(handlers.readiness))
  instance.get(paths.report, route(handlers.report))

  if (options.trackRequests !== false) {
    instance.addHook('onRequest', (_request, reply, done) => {
      health.trackResponse(reply.raw)
      done()
    })
  }
  if (options.closeOnDrain !== false) {
    health.addServer('fastify', instance.server)
    health.addCloser('fastify', () => instance.close())
  }
}

function route(answer: () => HealthResponse) {
  return (_request: unknown, reply: FastifyReplyLike): void => {
    const { status, headers, body } = answer()
    reply.code(status)
    reply.headers(headers)
    reply.send(body)
  }
}

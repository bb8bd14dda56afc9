import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import { authenticate, type Landlord } from './auth'
import type { BudgetClass, Services } from './services'

/** What a route's handler gets: the request, the landlord and the request's deadline. */
export interface RouteContext {
  readonly request: FastifyRequest
  readonly reply: FastifyReply
  /** The landlord the bearer token belongs to. */
  readonly landlord: Landlord
  /** Aborts at the request's hard deadline. */
  readonly signal: AbortSignal
}

/** One authenticated route of the API. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  readonly url: string
  /** The budget the route's latency is judged against. */
  readonly budget: BudgetClass
  /** JSON schemas of params, query string and body; a request that fails them gets a 400. */
  readonly schema?: FastifySchema
  /** The status of a successful answer. @default 200 */
  readonly status?: number
  /** Computes the answer's body. */
  handle(context: RouteContext): Promise<unknown>
}

/**
 * Registers an authenticated route that runs, token check included, under the recorder:
 * timed against the route's budget class and cut off at the hard limit, when the answer is
 * a 503. The operation name is the route pattern, so percentiles are per route, not per id.
 */
export function addRoute(app: FastifyInstance, services: Services, spec: RouteSpec): void {
  const operation = `${spec.method} ${spec.url}`
  const status = spec.status ?? 200

  app.route({
    method: spec.method,
    url: spec.url,
    ...(spec.schema === undefined ? {} : { schema: spec.schema }),
    handler: async (request, reply) => {
      request.state.timed = true
      const body = await services.recorder.time(spec.budget, operation, async (signal) => {
        const landlord = await authenticate(services, request, signal)

        return spec.handle({ request, reply, landlord, signal })
      })

      reply.code(status)
      return body
    },
  })
}

import { createServer as createHttpServer } from 'node:http'
import { serverTiming } from '@ballast/timing'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import { answerFor } from './http-errors'
import type { Metrics } from './metrics'
import { useLazyRequestLoggers } from './request-logger'
import { newRequestState } from './request-state'
import { dashboardRoutes } from './routes/dashboard'
import { propertyRoutes } from './routes/properties'
import { unitRoutes } from './routes/units'
import type { Services } from './services'
import { useStrictValidation } from './validation'

/** What {@link buildApp} needs. */
export interface AppOptions {
  readonly services: Services
  readonly metrics: Metrics
  /** A pino instance for request-scoped logs; silent when omitted. */
  readonly logger?: FastifyBaseLogger
  /** How long a client may take to send a whole request. @default 10000 */
  readonly requestTimeoutMs?: number
}

/** Request bodies larger than this are refused with 413 before they are parsed. */
const BODY_LIMIT_BYTES = 16 * 1024

/**
 * Builds the HTTP layer: validation, routing, error mapping and response headers. Every
 * answer carries `X-Response-Time` and `Server-Timing`; cached reads also carry `X-Cache`.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  const { services, metrics } = options
  const app = Fastify({
    ...(options.logger === undefined ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: BODY_LIMIT_BYTES,
    // A client that stalls while sending its request must not hold a connection forever:
    // past `requestTimeoutMs` Node answers 408 and closes it. Node looks for such requests
    // every `connectionsCheckingInterval` (30 s by default), so the server is made here
    // with a shorter one, or the limit would be met up to half a minute late.
    serverFactory: (handler) =>
      createHttpServer(
        { requestTimeout: options.requestTimeoutMs ?? 10_000, connectionsCheckingInterval: 1_000 },
        handler,
      ),
    // Ids arrive in paths; a trailing slash or doubled slash must not become another route.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 64 },
    // One log line per event that matters (errors, budget violations, circuits), not two
    // per request.
    logController: new LogController({ disableRequestLogging: true }),
  })

  useStrictValidation(app)
  useLazyRequestLoggers(app)
  // The API speaks JSON only: any other body is a 415, not a string handed to a route.
  app.removeContentTypeParser('text/plain')
  app.decorateRequest('state', null as never)

  app.addHook('onRequest', async (request) => {
    request.state = newRequestState()
  })

  app.addHook('onSend', async (request, reply) => {
    const state = request.state
    const totalMs = performance.now() - state.startedAt

    if (state.cache !== undefined) reply.header('x-cache', state.cache)
    reply.header('x-response-time', `${totalMs.toFixed(2)}ms`)
    reply.header(
      'server-timing',
      serverTiming([...state.timings, { name: 'total', durationMs: totalMs }]),
    )
  })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url
    const elapsedMs = performance.now() - request.state.startedAt

    metrics.observeRequest(request.method, route ?? 'unmatched', reply.statusCode, elapsedMs / 1e3)
    // Health, metrics and unmatched requests are critical: probes and scrapes must stay fast.
    if (!request.state.timed && route !== undefined) {
      services.recorder.record('critical', `${request.method} ${route}`, elapsedMs, {
        failed: reply.statusCode >= 500,
      })
    }
  })

  app.setErrorHandler(async (error, request, reply) => {
    const answer = answerFor(error)
    const fields = {
      route: request.routeOptions.url,
      landlord: request.state?.landlordId,
      status: answer.status,
      code: answer.body.error,
    }

    if (answer.unexpected) request.log.error({ ...fields, err: error }, 'request failed')
    else if (answer.status >= 500) request.log.warn(fields, answer.body.message)

    reply.code(answer.status).headers(answer.headers)
    return answer.body
  })

  app.setNotFoundHandler(async (request, reply) => {
    reply.code(404)
    return { error: 'not_found', message: `no route for ${request.method} ${request.url}` }
  })

  services.recorder.on('violation', (event) => {
    app.log.warn(
      {
        route: event.operation,
        budgetClass: event.class,
        durationMs: Math.round(event.durationMs * 100) / 100,
        budgetMs: event.budgetMs,
        failed: event.failed,
      },
      'over budget',
    )
  })

  propertyRoutes(app, services)
  unitRoutes(app, services)
  dashboardRoutes(app, services)

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType)
    return metrics.registry.metrics()
  })

  return app
}

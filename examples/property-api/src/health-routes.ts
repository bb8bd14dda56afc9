import type { Health, HealthBody } from '@ballast/health'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Services } from './services'

const HEALTH_JSON = 'application/health+json'

/**
 * `GET /health/ping` (liveness), `GET /health/ready` (readiness), `GET /health-enhanced/system`
 * (the full report: checks, circuits, cache, memory) and `GET /health-enhanced/performance`
 * (latency percentiles per route and per function version). Probes answer from the last
 * check results; none of them waits for a dependency.
 */
export function healthRoutes(app: FastifyInstance, services: Services, health: Health): void {
  app.get('/health/ping', async (_request, reply) => send(reply, health.liveness()))

  app.get('/health/ready', async (_request, reply) => send(reply, health.readiness()))

  app.get('/health-enhanced/system', async (_request, reply) => send(reply, health.report()))

  app.get('/health-enhanced/performance', async (_request, reply) => {
    reply.header('cache-control', 'no-store')

    return {
      status: 'pass',
      budgets: services.recorder.budgets,
      timing: services.recorder.snapshot(),
      cache: services.cache.stats(),
    }
  })
}

function send(reply: FastifyReply, body: HealthBody): HealthBody {
  reply
    .code(body.status === 'fail' ? 503 : 200)
    .header('content-type', HEALTH_JSON)
    .header('cache-control', 'no-store')

  return body
}

import { fastifyHealth, type Health } from '@ballast/health'
import type { FastifyInstance } from 'fastify'
import type { Services } from './services'

/**
 * The health endpoints: `GET /health/ping` (liveness), `GET /health/ready` (readiness) and
 * `GET /health-enhanced/system` (the full `application/health+json` report: checks, circuits,
 * cache, memory) come from `@ballast/health`'s Fastify plugin, which also counts every
 * request in flight for the drain and closes the instance when drained.
 * `GET /health-enhanced/performance` adds latency percentiles per route and per function
 * version. None of them waits for a dependency.
 */
export async function healthRoutes(
  app: FastifyInstance,
  services: Services,
  health: Health,
): Promise<void> {
  await app.register(fastifyHealth, {
    health,
    paths: {
      liveness: '/health/ping',
      readiness: '/health/ready',
      report: '/health-enhanced/system',
    },
  })

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

import type { FastifyInstance } from 'fastify'
import { dashboardRead } from '../cache-plan'
import { cachedRead } from '../cached-read'
import { addRoute } from '../route'
import type { Services } from '../services'

/** `GET /dashboard`: the landlord's portfolio figures, computed by the database. */
export function dashboardRoutes(app: FastifyInstance, services: Services): void {
  addRoute(app, services, {
    method: 'GET',
    url: '/dashboard',
    budget: 'read',
    async handle({ request, landlord, signal }) {
      return cachedRead(
        services,
        request,
        dashboardRead(landlord.id),
        (load) => services.calls.call('portfolio_dashboard', [landlord.id], load),
        signal,
      )
    },
  })
}

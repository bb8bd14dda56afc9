import type { FastifyInstance } from 'fastify'
import { unitsListRead, unitWriteTags } from '../cache-plan'
import { cachedRead } from '../cached-read'
import { notFound } from '../http-errors'
import { addRoute } from '../route'
import { idParams, unitCreateBody, unitPatchBody } from '../schemas'
import type { Services } from '../services'
import { write } from '../write'

interface IdParams {
  readonly id: number
}

/** What the unit functions return: enough to know which property's views changed. */
interface UnitRow {
  readonly id: number
  readonly propertyId: number
}

/** `GET/POST /properties/:id/units` and `PATCH/DELETE /units/:id`. */
export function unitRoutes(app: FastifyInstance, services: Services): void {
  const { calls } = services

  addRoute(app, services, {
    method: 'GET',
    url: '/properties/:id/units',
    budget: 'read',
    schema: { params: idParams },
    async handle({ request, landlord, signal }) {
      const { id } = request.params as IdParams
      const units = await cachedRead(
        services,
        request,
        unitsListRead(landlord.id, id),
        (load) => calls.call('list_units', [landlord.id, id], load),
        signal,
      )
      if (units === null) throw notFound('property')

      return units
    },
  })

  addRoute(app, services, {
    method: 'POST',
    url: '/properties/:id/units',
    budget: 'write',
    status: 201,
    schema: { params: idParams, body: unitCreateBody },
    async handle({ request, landlord, signal }) {
      const { id } = request.params as IdParams
      const created = await write<UnitRow>(
        services,
        request.log,
        landlord.id,
        () => calls.call('create_unit', [landlord.id, id, request.body], signal),
        (unit) => unitWriteTags('create', landlord.id, unit.propertyId),
      )
      if (created === null) throw notFound('property')

      return created
    },
  })

  addRoute(app, services, {
    method: 'PATCH',
    url: '/units/:id',
    budget: 'write',
    schema: { params: idParams, body: unitPatchBody },
    async handle({ request, landlord, signal }) {
      const { id } = request.params as IdParams
      const updated = await write<UnitRow>(
        services,
        request.log,
        landlord.id,
        () => calls.call('update_unit', [landlord.id, id, request.body], signal),
        (unit) => unitWriteTags('update', landlord.id, unit.propertyId, id),
      )
      if (updated === null) throw notFound('unit')

      return updated
    },
  })

  addRoute(app, services, {
    method: 'DELETE',
    url: '/units/:id',
    budget: 'delete',
    schema: { params: idParams },
    async handle({ request, landlord, signal }) {
      const { id } = request.params as IdParams
      const deleted = await write<UnitRow>(
        services,
        request.log,
        landlord.id,
        () => calls.call('delete_unit', [landlord.id, id], signal),
        (unit) => unitWriteTags('delete', landlord.id, unit.propertyId, id),
      )
      if (deleted === null) throw notFound('unit')

      return deleted
    },
  })
}

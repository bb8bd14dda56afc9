import type { FastifyInstance } from 'fastify'
import { propertiesListRead, propertyRead, propertyWriteTags, unitWriteTags } from '../cache-plan'
import { cachedRead } from '../cached-read'
import { notFound } from '../http-errors'
import { addRoute } from '../route'
import { idParams, pageQuery, propertyCreateBody, propertyPatchBody } from '../schemas'
import type { Services } from '../services'
import { write } from '../write'

interface IdParams {
  readonly id: number
}

interface PageQuery {
  readonly limit: number
  readonly offset: number
}

interface PropertyRow {
  readonly id: number
}

interface DeletedProperty {
  readonly id: number
  readonly unitIds: readonly number[]
}

/** `GET/POST /properties` and `GET/PATCH/DELETE /properties/:id`. */
export function propertyRoutes(app: FastifyInstance, services: Services): void {
  const { calls } = services

  addRoute(app, services, {
    method: 'GET',
    url: '/properties',
    budget: 'read',
    schema: { querystring: pageQuery },
    handle({ request, landlord, signal }) {
      const { limit, offset } = request.query as PageQuery

      return cachedRead(
        services,
        request,
        propertiesListRead(landlord.id, limit, offset),
        (load) => calls.call('list_properties', [landlord.id, limit, offset], load),
        signal,
      )
    },
  })

  addRoute(app, services, {
    method: 'POST',
    url: '/properties',
    budget: 'write',
    status: 201,
    schema: { body: propertyCreateBody },
    handle({ request, landlord, signal }) {
      return write<PropertyRow>(
        services,
        request.log,
        landlord.id,
        () => calls.call('create_property', [landlord.id, request.body], signal),
        () => propertyWriteTags('create', landlord.id),
      )
    },
  })

  addRoute(app, services, {
    method: 'GET',
    url: '/properties/:id',
    budget: 'read',
    schema: { params: idParams },
    async handle({ request, landlord, signal }) {
      const { id } = request.params as IdParams
      const property = await cachedRead(
        services,
        request,
        propertyRead(landlord.id, id),
        (load) => calls.call('get_property', [landlord.id, id], load),
        signal,
      )
      if (property === null) throw notFound('property')

      return property
    },
  })

  addRoute(app, services, {
    method: 'PATCH',
    url: '/properties/:id',
    budget: 'write',
    schema: { params: idParams, body: propertyPatchBody },
    async handle({ request, landlord, signal }) {
      const { id } = request.params as IdParams
      const updated = await write<PropertyRow>(
        services,
        request.log,
        landlord.id,
        () => calls.call('update_property', [landlord.id, id, request.body], signal),
        () => propertyWriteTags('update', landlord.id, id),
      )
      if (updated === null) throw notFound('property')

      return updated
    },
  })

  addRoute(app, services, {
    method: 'DELETE',
    url: '/properties/:id',
    budget: 'delete',
    schema: { params: idParams },
    async handle({ request, landlord, signal }) {
      const { id } = request.params as IdParams
      const deleted = await write<DeletedProperty>(
        services,
        request.log,
        landlord.id,
        () => calls.call('delete_property', [landlord.id, id], signal),
        (gone) => [
          ...propertyWriteTags('delete', landlord.id, id),
          ...gone.unitIds.flatMap((unit) => unitWriteTags('delete', landlord.id, id, unit)),
        ],
      )
      if (deleted === null) throw notFound('property')

      return deleted
    },
  })
}

/**
 * The JSON schemas every request is checked against before a route runs. Bodies are strict:
 * unknown fields and wrong types are refused (never coerced or dropped), so a typo in a field
 * name is a 400 naming the field instead of a silent no-op.
 */

const MAX_ID = 2_147_483_647

const id = { type: 'integer', minimum: 1, maximum: MAX_ID } as const

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const

const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] })

/** `:id` in the path: a positive 32-bit integer. */
export const idParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id },
} as const

/** `?limit=&offset=` of list routes. */
export const pageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
  },
} as const

const propertyFields = {
  name: text(200),
  address: text(500),
  city: text(100),
  postalCode: nullable(text(20)),
  kind: { type: 'string', enum: ['residential', 'commercial', 'mixed'] },
} as const

/** The body of `POST /properties`. */
export const propertyCreateBody = {
  type: 'object',
  required: ['name', 'address', 'city'],
  additionalProperties: false,
  properties: propertyFields,
} as const

/** The body of `PATCH /properties/:id`: any of the fields, at least one. */
export const propertyPatchBody = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: propertyFields,
} as const

const unitFields = {
  label: text(100),
  bedrooms: { type: 'integer', minimum: 0, maximum: 50 },
  areaSqm: nullable({ type: 'number', exclusiveMinimum: 0, maximum: 99_999 }),
  rentCents: { type: 'integer', minimum: 0, maximum: 100_000_000 },
  status: { type: 'string', enum: ['vacant', 'occupied', 'notice', 'maintenance'] },
  tenantName: nullable(text(200)),
  leaseEnd: nullable({ type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }),
} as const

/** The body of `POST /properties/:id/units`. */
export const unitCreateBody = {
  type: 'object',
  required: ['label', 'rentCents'],
  additionalProperties: false,
  properties: unitFields,
} as const

/** The body of `PATCH /units/:id`: any of the fields, at least one. */
export const unitPatchBody = {
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  properties: unitFields,
} as const

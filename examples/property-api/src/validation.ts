import Ajv from 'ajv'
import type { FastifyInstance } from 'fastify'

/**
 * Two validators. Bodies are JSON and must already have the right types: `"5"` for a number
 * is refused, and unknown fields are errors rather than silently dropped. Path parameters
 * and query strings are text by nature, so they are coerced (`?limit=5` becomes 5) and get
 * their defaults filled in.
 */
export function useStrictValidation(app: FastifyInstance): void {
  const strict = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false })
  const coercing = new Ajv({
    allErrors: false,
    coerceTypes: true,
    useDefaults: true,
    removeAdditional: false,
  })

  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema),
  )
}

import { assertSchemaName } from './identifiers'
import { installSql } from './install-sql'
import type { Queryable } from './queryable'

/** Where the registry lives; shared by every function that reads or writes it. */
export interface RegistryOptions {
  /**
   * The schema holding the registry tables (function versions, activations, migrations).
   * @default 'ballast'
   */
  readonly schema?: string
}

/** Resolves and validates the registry schema of an options object. */
export function registrySchema(options: RegistryOptions | undefined): string {
  const schema = options?.schema ?? 'ballast'
  assertSchemaName(schema)
  return schema
}

/**
 * Creates the registry schema and tables if they are missing. Safe to run on every start
 * and from several instances at once: it takes a transaction-scoped advisory lock.
 *
 * @example
 * ```ts
 * await install(db)                     // schema "ballast"
 * await install(db, { schema: 'ops' })  // schema "ops"
 * ```
 */
export async function install(db: Queryable, options?: RegistryOptions): Promise<void> {
  const schema = registrySchema(options)

  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`ballast-pg:install:${schema}`])
    await tx.query(installSql(schema))
  })
}

import { assertFunctionName, quoteIdent } from './identifiers'
import { type RegistryOptions, registrySchema } from './install'
import type { Queryable, TransactionQueryable } from './queryable'
import type { FunctionSignature } from './signature'

/**
 * Where a version stands.
 * - `deployed`: created by `deployFunction`, not activated since; callable when pinned.
 * - `active`: what unpinned calls resolve to; at most one per function.
 * - `previous`: was active until a newer activation; `rollback` returns to the most
 *   recently active one.
 * - `retired`: taken out of rotation: rolled back from, or pruned (then `droppedAt` is
 *   set and the function no longer exists). Until pruned it stays callable when pinned
 *   and may be activated again.
 */
export type VersionStatus = 'deployed' | 'active' | 'previous' | 'retired'

/** One registered version of a function. */
export interface FunctionVersion {
  /** The logical name (`get_properties`). */
  readonly name: string
  /** The version number. */
  readonly version: number
  /** The schema the physical function lives in. */
  readonly functionSchema: string
  /** The physical name (`get_properties__v3`). */
  readonly physicalName: string
  /** Where the version stands. */
  readonly status: VersionStatus
  /** The signature read from `pg_catalog` at deploy time. */
  readonly signature: FunctionSignature
  /** When it was deployed. */
  readonly deployedAt: Date
  /** When it was last activated, if ever. */
  readonly activatedAt: Date | null
  /** When `prune` dropped it; `null` while the function exists. */
  readonly droppedAt: Date | null
}

interface RegistryRow {
  name: string
  version: number
  function_schema: string
  physical_name: string
  status: VersionStatus
  signature: FunctionSignature
  deployed_at: Date
  activated_at: Date | null
  dropped_at: Date | null
}

const columns =
  'name, version, function_schema, physical_name, status, signature, deployed_at, ' +
  'activated_at, dropped_at'

function toVersion(row: RegistryRow): FunctionVersion {
  return {
    name: row.name,
    version: row.version,
    functionSchema: row.function_schema,
    physicalName: row.physical_name,
    status: row.status,
    signature: row.signature,
    deployedAt: new Date(row.deployed_at),
    activatedAt: row.activated_at === null ? null : new Date(row.activated_at),
    droppedAt: row.dropped_at === null ? null : new Date(row.dropped_at),
  }
}

/** Reads every registered version, of one function or of all, oldest first. */
export async function readVersions(
  db: TransactionQueryable,
  schema: string,
  name?: string,
): Promise<FunctionVersion[]> {
  const table = `${quoteIdent(schema)}.function_versions`
  const where = name === undefined ? '' : 'where name = $1'
  const params = name === undefined ? [] : [name]
  const text = `select ${columns} from ${table} ${where} order by name, version`
  const { rows } = await db.query<RegistryRow>(text, params)

  return rows.map(toVersion)
}

/**
 * Lists the registered versions of a function (or of every function), oldest first,
 * pruned ones included.
 *
 * @example
 * ```ts
 * const versions = await listVersions(db, 'get_properties')
 * ```
 */
export async function listVersions(
  db: Queryable,
  name?: string,
  options?: RegistryOptions,
): Promise<FunctionVersion[]> {
  const schema = registrySchema(options)
  if (name !== undefined) assertFunctionName(name)
  return readVersions(db, schema, name)
}

/** Takes the transaction-scoped lock that serialises changes to one function. */
export async function lockFunction(
  tx: TransactionQueryable,
  schema: string,
  name: string,
): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`ballast-pg:${schema}:${name}`])
}

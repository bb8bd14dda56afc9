import { NoPreviousVersionError, UnknownFunctionError, UnknownVersionError } from './errors'
import { assertFunctionName, assertVersion, channelName, quoteIdent } from './identifiers'
import { type RegistryOptions, registrySchema } from './install'
import type { Queryable, TransactionQueryable } from './queryable'
import { type FunctionVersion, lockFunction, readVersions } from './registry'

/** What an activation or rollback changed. */
export interface ActivationResult {
  /** The logical function name. */
  readonly name: string
  /** The version that is active now. */
  readonly version: number
  /** The version that was active before, if any. */
  readonly fromVersion: number | null
  /** `false` when the version was already active and nothing changed. */
  readonly changed: boolean
}

/** The NOTIFY payload sent on every activation and rollback (JSON). */
export interface ActivationNotice {
  /** The logical function name. */
  readonly name: string
  /** The version that is active now. */
  readonly version: number
}

async function switchActive(
  tx: TransactionQueryable,
  schema: string,
  change: { name: string; to: number; from: FunctionVersion | undefined; fromStatus: string },
  action: 'activate' | 'rollback',
) {
  const table = `${quoteIdent(schema)}.function_versions`
  const { name, to, from } = change

  if (from) {
    await tx.query(`update ${table} set status = $3 where name = $1 and version = $2`, [
      name,
      from.version,
      change.fromStatus,
    ])
  }
  await tx.query(
    `update ${table} set status = 'active', activated_at = now(),
       activation_order = nextval('${quoteIdent(schema)}.activation_order')
     where name = $1 and version = $2`,
    [name, to],
  )
  await tx.query(
    `insert into ${quoteIdent(schema)}.activations (name, version, from_version, action)
     values ($1, $2, $3, $4)`,
    [name, to, from?.version ?? null, action],
  )
  const notice: ActivationNotice = { name, version: to }
  await tx.query('select pg_notify($1, $2)', [channelName(schema), JSON.stringify(notice)])
}

/** How `activate` decides. */
export interface ActivateOptions extends RegistryOptions {
  /**
   * Activate only a version that has never been active (status `deployed`) and is newer
   * than the active one; otherwise change nothing and resolve with `changed: false`.
   * Meant for application start-up: an old instance that restarts during a rollout does
   * not move the pointer back, and a new instance that restarts after a rollback does not
   * undo it.
   * @default false
   */
  readonly forwardOnly?: boolean
}

/** Whether a forward-only activation leaves the registry as it is. */
function staysPut(target: FunctionVersion, current: FunctionVersion): boolean {
  return target.status !== 'deployed' || target.version < current.version
}

/**
 * Makes a deployed version the active one, atomically: one transaction under the
 * function's advisory lock updates the registry, appends to `activations` and sends a
 * NOTIFY that function clients listen for. The version active before becomes
 * `previous`. Activating the active version changes nothing. With `forwardOnly`, only a
 * never-activated version newer than the active one is activated.
 *
 * @example
 * ```ts
 * await activate(db, 'get_properties', 3)
 * await activate(db, 'get_properties', 3, { forwardOnly: true }) // at start-up
 * ```
 */
export async function activate(
  db: Queryable,
  name: string,
  version: number,
  options?: ActivateOptions,
): Promise<ActivationResult> {
  const schema = registrySchema(options)
  assertFunctionName(name)
  assertVersion(version)

  return db.transaction(async (tx) => {
    await lockFunction(tx, schema, name)
    const versions = await readVersions(tx, schema, name)
    if (versions.length === 0) throw new UnknownFunctionError(name)

    const target = versions.find((v) => v.version === version)
    if (!target) throw new UnknownVersionError(name, version, 'is not deployed')
    if (target.droppedAt) throw new UnknownVersionError(name, version, 'was pruned')

    const current = versions.find((v) => v.status === 'active')
    if (current?.version === version) {
      return { name, version, fromVersion: version, changed: false }
    }
    if (options?.forwardOnly === true && current && staysPut(target, current)) {
      return { name, version: current.version, fromVersion: current.version, changed: false }
    }

    const change = { name, to: version, from: current, fromStatus: 'previous' }
    await switchActive(tx, schema, change, 'activate')
    return { name, version, fromVersion: current?.version ?? null, changed: true }
  })
}

/**
 * Returns to the most recently active previous version, atomically (same transaction,
 * lock and NOTIFY as {@link activate}). The rolled-back version becomes `retired`: it is
 * no longer a rollback target but stays callable when pinned until pruned.
 *
 * @example
 * ```ts
 * const { version } = await rollback(db, 'get_properties') // back to v2
 * ```
 */
export async function rollback(
  db: Queryable,
  name: string,
  options?: RegistryOptions,
): Promise<ActivationResult> {
  const schema = registrySchema(options)
  assertFunctionName(name)

  return db.transaction(async (tx) => {
    await lockFunction(tx, schema, name)
    const versions = await readVersions(tx, schema, name)
    if (versions.length === 0) throw new UnknownFunctionError(name)

    const current = versions.find((v) => v.status === 'active')
    if (!current) throw new UnknownFunctionError(name, 'has no active version to roll back')

    const target = await latestPrevious(tx, schema, name)
    if (target === undefined) throw new NoPreviousVersionError(name)

    const change = { name, to: target, from: current, fromStatus: 'retired' }
    await switchActive(tx, schema, change, 'rollback')
    return { name, version: target, fromVersion: current.version, changed: true }
  })
}

async function latestPrevious(tx: TransactionQueryable, schema: string, name: string) {
  const { rows } = await tx.query<{ version: number }>(
    `select version from ${quoteIdent(schema)}.function_versions
      where name = $1 and status = 'previous' and dropped_at is null
      order by activation_order desc nulls last, version desc limit 1`,
    [name],
  )
  return rows[0]?.version
}

/** How many old versions `prune` keeps. */
export interface PruneOptions extends RegistryOptions {
  /**
   * How many versions older than the active one stay deployed and callable.
   * @default 2
   */
  readonly keep?: number
}

/** What `prune` dropped. */
export interface PruneResult {
  /** The versions whose functions were dropped, oldest first. */
  readonly dropped: readonly number[]
}

/**
 * Drops the functions of versions older than the active one, except the `keep` newest
 * of them, and marks them `retired` with `droppedAt` set. Versions newer than the active
 * one are never pruned. Nothing else ever drops a version.
 *
 * @example
 * ```ts
 * await prune(db, 'get_properties', { keep: 2 })
 * ```
 */
export async function prune(
  db: Queryable,
  name: string,
  options?: PruneOptions,
): Promise<PruneResult> {
  const schema = registrySchema(options)
  const keep = options?.keep ?? 2
  assertFunctionName(name)
  if (!Number.isSafeInteger(keep) || keep < 0) {
    throw new RangeError(`prune: options.keep must be a non-negative integer, received ${keep}`)
  }

  return db.transaction(async (tx) => {
    await lockFunction(tx, schema, name)
    const versions = await readVersions(tx, schema, name)
    const active = versions.find((v) => v.status === 'active')
    if (!active) throw new UnknownFunctionError(name, 'has no active version; nothing to prune')

    const older = versions.filter((v) => v.version < active.version && v.droppedAt === null)
    const doomed = older.slice(0, Math.max(0, older.length - keep))
    for (const version of doomed) await dropVersion(tx, schema, version)

    return { dropped: doomed.map((v) => v.version) }
  })
}

async function dropVersion(tx: TransactionQueryable, schema: string, version: FunctionVersion) {
  const target = `${quoteIdent(version.functionSchema)}.${quoteIdent(version.physicalName)}`
  // The physical name is unique in its schema (deploy checks), so no argument list is needed.
  await tx.query(`drop function if exists ${target}`)
  await tx.query(
    `update ${quoteIdent(schema)}.function_versions
        set status = 'retired', dropped_at = now()
      where name = $1 and version = $2`,
    [version.name, version.version],
  )
}

import { randomBytes } from 'node:crypto'
import { type Comparison, compareSignatures } from './compare'
import {
  BreakingChangeError,
  DefinitionChangedError,
  InvalidDeploymentError,
  VersionExistsError,
} from './errors'
import {
  assertFunctionName,
  assertSchemaName,
  assertVersion,
  physicalName,
  quoteIdent,
} from './identifiers'
import { type RegistryOptions, registrySchema } from './install'
import type { Queryable, TransactionQueryable } from './queryable'
import { type FunctionVersion, lockFunction, readVersions } from './registry'
import { type FunctionSignature, readSignature } from './signature'

/** What to deploy. */
export interface DeployFunctionOptions extends RegistryOptions {
  /** The logical function name, e.g. `get_properties`. */
  readonly name: string
  /**
   * The version: a positive integer greater than every deployed version, or one already
   * deployed (then nothing happens when the definition is the same).
   */
  readonly version: number
  /**
   * SQL that creates exactly one function called `name`, unqualified
   * (`create function get_properties(...) ...`). It runs with a private staging schema
   * first on the search path; the function is then renamed to `name__v<version>` and
   * moved into `functionSchema`. It must create nothing else.
   */
  readonly sql: string
  /**
   * The schema the versioned functions live in.
   * @default 'public'
   */
  readonly functionSchema?: string
  /**
   * Deploy even when the candidate breaks a callable version's callers.
   * @default false
   */
  readonly allowBreaking?: boolean
}

/** One comparison made during a deployment. */
export interface DeployComparison extends Comparison {
  /** The callable version the candidate was compared with. */
  readonly version: number
}

/** What `deployFunction` did. */
export interface DeployResult {
  /** The logical function name. */
  readonly name: string
  /** The deployed version. */
  readonly version: number
  /** The physical name, e.g. `get_properties__v3`. */
  readonly physicalName: string
  /**
   * `deployed` for a new version; `unchanged` when this exact version was already
   * deployed with the same definition (deploying is idempotent, so a service can deploy
   * its versions on every start). The same version with another definition is refused
   * with a {@link DefinitionChangedError}.
   */
  readonly outcome: 'deployed' | 'unchanged'
  /** The candidate's signature. */
  readonly signature: FunctionSignature
  /** The comparisons with the active version and the two before it. */
  readonly comparisons: readonly DeployComparison[]
}

/** The active version (or the newest, when none is active) and the two below it. */
export function baselineVersions(versions: readonly FunctionVersion[]): FunctionVersion[] {
  const live = versions.filter((v) => v.droppedAt === null)
  const anchor = live.find((v) => v.status === 'active') ?? live[live.length - 1]
  if (!anchor) return []

  const older = live.filter((v) => v.version < anchor.version).slice(-2)
  return [anchor, ...older.reverse()]
}

async function runStaged(
  tx: TransactionQueryable,
  options: Required<Pick<DeployFunctionOptions, 'name' | 'version' | 'sql' | 'functionSchema'>>,
): Promise<{ oid: number; stage: string }> {
  const stage = `ballast_stage_${randomBytes(6).toString('hex')}`
  const path = await tx.query<{ path: string }>(`select current_setting('search_path') as path`)
  const original = path.rows[0]?.path ?? 'public'

  await tx.query(`create schema ${quoteIdent(stage)}`)
  const stagedPath = `${quoteIdent(stage)}, ${quoteIdent(options.functionSchema)}, ${original}`
  await tx.query(`select set_config('search_path', $1, true)`, [stagedPath])
  try {
    await tx.query(options.sql)
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    const message = `The SQL for ${options.name} v${options.version} failed: ${reason}`
    throw new InvalidDeploymentError(message, { cause })
  }
  await tx.query(`select set_config('search_path', $1, true)`, [original])

  return { oid: await stagedFunction(tx, stage, options.name), stage }
}

async function stagedFunction(tx: TransactionQueryable, stage: string, name: string) {
  const { rows } = await tx.query<{ oid: number; proname: string; prokind: string }>(
    `select p.oid::int as oid, p.proname, p.prokind::text as prokind
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1`,
    [stage],
  )
  const only = rows[0]

  if (rows.length !== 1 || !only || only.proname !== name || only.prokind !== 'f') {
    const created = rows.map((r) => r.proname).join(', ') || 'nothing'
    throw new InvalidDeploymentError(
      `The SQL must create exactly one function named ${name}, unqualified; it created ` +
        `${created}`,
    )
  }
  return only.oid
}

function checkVersionOrder(versions: readonly FunctionVersion[], name: string, version: number) {
  const newest = versions[versions.length - 1]
  const same = versions.find((v) => v.version === version)

  if (same?.droppedAt) {
    throw new VersionExistsError(`${name} v${version} was pruned; deploy a new version number`)
  }
  if (!same && newest && newest.version > version) {
    throw new VersionExistsError(
      `${name} v${version} is older than the newest deployed version v${newest.version}; ` +
        'versions must increase',
    )
  }
  return same
}

async function place(
  tx: TransactionQueryable,
  oid: number,
  stage: string,
  target: { schema: string; physical: string },
) {
  const taken = await tx.query(
    `select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1 and p.proname = $2`,
    [target.schema, target.physical],
  )
  if (taken.rows.length > 0) {
    throw new VersionExistsError(
      `A function ${target.schema}.${target.physical} already exists outside the registry`,
    )
  }

  const procedure = await tx.query<{ p: string }>('select $1::oid::regprocedure::text as p', [oid])
  const staged = procedure.rows[0]?.p ?? ''
  await tx.query(`alter function ${staged} rename to ${quoteIdent(target.physical)}`)
  const renamed = await tx.query<{ p: string }>('select $1::oid::regprocedure::text as p', [oid])
  await tx.query(
    `alter function ${renamed.rows[0]?.p ?? ''} set schema ${quoteIdent(target.schema)}`,
  )
  await dropStage(tx, stage)
}

async function dropStage(tx: TransactionQueryable, stage: string) {
  try {
    await tx.query(`drop schema ${quoteIdent(stage)}`)
  } catch (cause) {
    throw new InvalidDeploymentError('The SQL created objects besides the function', { cause })
  }
}

/**
 * Deploys a new version of a function beside the existing ones, in one transaction
 * under an advisory lock. The candidate's signature is read back from `pg_catalog` and
 * compared with the active version and the two before it; a breaking difference aborts
 * the deployment with a {@link BreakingChangeError} unless `allowBreaking` is set.
 * Deploying never drops or changes another version; it does not activate the new one.
 * Redeploying a version with the same definition is a no-op (`outcome: 'unchanged'`);
 * with another definition it fails with a {@link DefinitionChangedError}. Concurrent
 * deployments of one function (two instances starting at once) wait for each other.
 *
 * @example
 * ```ts
 * await deployFunction(db, {
 *   name: 'get_properties',
 *   version: 3,
 *   sql: `create function get_properties(city text, max_price numeric default null)
 *         returns table (id int, title text) language sql stable
 *         as $$ select id, title from properties where city = $1 $$`,
 * })
 * ```
 */
export async function deployFunction(
  db: Queryable,
  options: DeployFunctionOptions,
): Promise<DeployResult> {
  const schema = registrySchema(options)
  const functionSchema = options.functionSchema ?? 'public'
  const { name, version, sql } = options
  assertFunctionName(name)
  assertVersion(version)
  assertSchemaName(functionSchema)
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw new TypeError('deployFunction: options.sql must be a non-empty string')
  }
  const physical = physicalName(name, version)

  return db.transaction(async (tx) => {
    await lockFunction(tx, schema, name)
    const versions = await readVersions(tx, schema, name)
    const existing = checkVersionOrder(versions, name, version)
    const { oid, stage } = await runStaged(tx, { name, version, sql, functionSchema })
    const signature = await readSignature(tx, oid)

    if (existing) {
      return unchanged(tx, existing, { signature, stage, oid, functionSchema })
    }

    const comparisons = baselineVersions(versions).map((baseline) => ({
      version: baseline.version,
      ...compareSignatures(baseline.signature, signature, baseline.version),
    }))
    const breaking = comparisons.flatMap((c) =>
      c.differences.filter((d) => d.severity === 'breaking'),
    )
    if (breaking.length > 0 && options.allowBreaking !== true) {
      throw new BreakingChangeError(name, version, breaking)
    }

    await place(tx, oid, stage, { schema: functionSchema, physical })
    await register(tx, schema, { name, version, functionSchema, physical, signature })

    return { name, version, physicalName: physical, outcome: 'deployed', signature, comparisons }
  })
}

async function unchanged(
  tx: TransactionQueryable,
  existing: FunctionVersion,
  candidate: { signature: FunctionSignature; stage: string; oid: number; functionSchema: string },
): Promise<DeployResult> {
  const { signature, stage, oid } = candidate
  const deployedHash = existing.signature.definitionHash
  if (deployedHash !== signature.definitionHash) {
    throw new DefinitionChangedError(
      existing.name,
      existing.version,
      deployedHash,
      signature.definitionHash,
    )
  }
  if (existing.functionSchema !== candidate.functionSchema) {
    throw new VersionExistsError(
      `${existing.name} v${existing.version} is deployed in schema ` +
        `${existing.functionSchema}, not ${candidate.functionSchema}`,
    )
  }

  const procedure = await tx.query<{ p: string }>('select $1::oid::regprocedure::text as p', [oid])
  await tx.query(`drop function ${procedure.rows[0]?.p ?? ''}`)
  await dropStage(tx, stage)

  return {
    name: existing.name,
    version: existing.version,
    physicalName: existing.physicalName,
    outcome: 'unchanged',
    signature: existing.signature,
    comparisons: [],
  }
}

async function register(
  tx: TransactionQueryable,
  schema: string,
  row: {
    name: string
    version: number
    functionSchema: string
    physical: string
    signature: FunctionSignature
  },
) {
  const { signature } = row
  await tx.query(
    `insert into ${quoteIdent(schema)}.function_versions (name, version, function_schema,
       physical_name, identity_arguments, result_type, volatility, returns_set, signature,
       definition_hash, status)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, 'deployed')`,
    [
      row.name,
      row.version,
      row.functionSchema,
      row.physical,
      signature.identityArguments,
      signature.resultType,
      signature.volatility,
      signature.returnsSet,
      JSON.stringify(signature),
      signature.definitionHash,
    ],
  )
}

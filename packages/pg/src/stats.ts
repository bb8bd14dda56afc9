import { assertFunctionName, quoteIdent } from './identifiers'
import { type RegistryOptions, registrySchema } from './install'
import type { Queryable } from './queryable'

/** Cumulative server-side statistics of one version. */
export interface VersionStats {
  /** The version. */
  readonly version: number
  /** The physical name the numbers belong to. */
  readonly physicalName: string
  /** Calls counted since the statistics were last reset. */
  readonly calls: number
  /** Total time in the function, callees included, in milliseconds. */
  readonly totalTimeMs: number
  /** Time in the function itself, callees excluded, in milliseconds. */
  readonly selfTimeMs: number
}

/** Statistics of every live version of a function. */
export interface FunctionStats {
  /** Whether `track_functions` is on (`pl` or `all`); when off every counter is 0. */
  readonly tracking: boolean
  /** One entry per version that is not pruned, oldest first. */
  readonly versions: readonly VersionStats[]
}

interface StatsRow {
  version: number
  physical_name: string
  calls: number
  total_time: number
  self_time: number
}

/**
 * Reads per-version numbers from `pg_stat_user_functions`. They need
 * `track_functions = pl` (PL/pgSQL functions) or `all` (SQL functions too), and SQL
 * functions that PostgreSQL inlines are never counted. Counters are cumulative and the
 * server publishes them with a delay of up to a second: sample twice and take the
 * difference to measure a window. There are no error counters; use the client's `call`
 * event for those.
 *
 * @example
 * ```ts
 * const { versions } = await functionStats(db, 'get_properties')
 * ```
 */
export async function functionStats(
  db: Queryable,
  name: string,
  options?: RegistryOptions,
): Promise<FunctionStats> {
  const schema = registrySchema(options)
  assertFunctionName(name)

  const setting = await db.query<{ value: string }>(
    `select current_setting('track_functions') as value`,
    [],
  )
  const { rows } = await db.query<StatsRow>(
    `select v.version, v.physical_name,
        coalesce(s.calls, 0)::float8 as calls,
        coalesce(s.total_time, 0)::float8 as total_time,
        coalesce(s.self_time, 0)::float8 as self_time
       from ${quoteIdent(schema)}.function_versions v
       left join pg_stat_user_functions s
         on s.schemaname = v.function_schema and s.funcname = v.physical_name
      where v.name = $1 and v.dropped_at is null
      order by v.version`,
    [name],
  )

  return {
    tracking: setting.rows[0]?.value !== 'none',
    versions: rows.map((row) => ({
      version: row.version,
      physicalName: row.physical_name,
      calls: row.calls,
      totalTimeMs: row.total_time,
      selfTimeMs: row.self_time,
    })),
  }
}

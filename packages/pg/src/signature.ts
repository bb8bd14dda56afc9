import { createHash } from 'node:crypto'
import type { TransactionQueryable } from './queryable'

/** One input parameter of a function, in declaration order. */
export interface FunctionParameter {
  /** The parameter name; empty when the function declared it without one. */
  readonly name: string
  /** The type as `format_type` prints it (`integer`, `text`, `numeric`). */
  readonly type: string
  /** `in`, `inout` or `variadic`. */
  readonly mode: 'in' | 'inout' | 'variadic'
  /** Whether the parameter has a default, so callers may leave it out. */
  readonly hasDefault: boolean
}

/** One column of a function's result row. */
export interface ResultColumn {
  /** The column name. */
  readonly name: string
  /** The type as `format_type` prints it. */
  readonly type: string
}

/** Function volatility, as PostgreSQL declares it. */
export type Volatility = 'immutable' | 'stable' | 'volatile'

/** A function's callable shape as read from `pg_catalog`. */
export interface FunctionSignature {
  /** Input parameters in order (OUT and TABLE columns are in `resultColumns`). */
  readonly arguments: readonly FunctionParameter[]
  /** `pg_get_function_identity_arguments`: the argument list without defaults. */
  readonly identityArguments: string
  /** `pg_get_function_result`: the RETURNS clause (`integer`, `TABLE(id integer)`). */
  readonly resultType: string
  /**
   * The result row's columns for OUT parameters, `RETURNS TABLE` and composite types;
   * `null` for a scalar result.
   */
  readonly resultColumns: readonly ResultColumn[] | null
  /** Whether the function returns a set (`SETOF`, `TABLE`). */
  readonly returnsSet: boolean
  /** The declared volatility. */
  readonly volatility: Volatility
  /** SHA-256 of the language, body, signature and flags: equal hashes, equal functions. */
  readonly definitionHash: string
}

interface CatalogRow {
  identity_arguments: string
  result_type: string
  volatility: string
  returns_set: boolean
  nargs: number
  ndefaults: number
  arg_names: string[] | null
  arg_modes: string[] | null
  arg_types: string[] | null
  composite_columns: ResultColumn[] | null
  language: string
  body: string
  strict: boolean
  security_definer: boolean
}

const catalogQuery = `
select pg_get_function_identity_arguments(p.oid) as identity_arguments,
  pg_get_function_result(p.oid) as result_type,
  p.provolatile::text as volatility,
  p.proretset as returns_set,
  p.pronargs::int as nargs,
  p.pronargdefaults::int as ndefaults,
  array_to_json(p.proargnames) as arg_names,
  array_to_json(p.proargmodes::text[]) as arg_modes,
  (select json_agg(format_type(u.t, null) order by u.i)
     from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality u(t, i)
  ) as arg_types,
  case when t.typtype = 'c' then (
    select json_agg(json_build_object('name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod)) order by a.attnum)
    from pg_attribute a
    where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped
  ) end as composite_columns,
  l.lanname as language,
  case when p.prosqlbody is null then p.prosrc else pg_get_function_sqlbody(p.oid) end as body,
  p.proisstrict as strict,
  p.prosecdef as security_definer
from pg_proc p
join pg_type t on t.oid = p.prorettype
join pg_language l on l.oid = p.prolang
where p.oid = $1`

const volatilities: Record<string, Volatility> = {
  i: 'immutable',
  s: 'stable',
  v: 'volatile',
}

const inputModes: Record<string, FunctionParameter['mode']> = {
  i: 'in',
  b: 'inout',
  v: 'variadic',
}

function splitArguments(row: CatalogRow) {
  const types = row.arg_types ?? []
  const modes = row.arg_modes ?? types.map(() => 'i')
  const names = row.arg_names ?? []
  const inputs: Omit<FunctionParameter, 'hasDefault'>[] = []
  const outputs: ResultColumn[] = []

  types.forEach((type, index) => {
    const mode = modes[index] ?? 'i'
    const name = names[index] ?? ''
    const inputMode = inputModes[mode]
    if (inputMode) inputs.push({ name, type, mode: inputMode })
    if (mode === 'o' || mode === 'b' || mode === 't') outputs.push({ name, type })
  })

  return { inputs, outputs }
}

function hashDefinition(row: CatalogRow): string {
  const material = JSON.stringify([
    row.language,
    row.body,
    row.identity_arguments,
    row.result_type,
    row.volatility,
    row.strict,
    row.security_definer,
  ])
  return createHash('sha256').update(material).digest('hex')
}

/**
 * Reads the signature of the function with the given oid from `pg_catalog`.
 * Needs PostgreSQL 14 or newer (`pg_proc.prosqlbody`).
 */
export async function readSignature(
  db: TransactionQueryable,
  oid: number,
): Promise<FunctionSignature> {
  const { rows } = await db.query<CatalogRow>(catalogQuery, [oid])
  const row = rows[0]
  if (!row) throw new Error(`readSignature: no function with oid ${oid}`)

  const { inputs, outputs } = splitArguments(row)
  const firstDefault = inputs.length - row.ndefaults
  const columns = outputs.length > 0 ? outputs : row.composite_columns

  return {
    arguments: inputs.map((input, index) => ({ ...input, hasDefault: index >= firstDefault })),
    identityArguments: row.identity_arguments,
    resultType: row.result_type,
    resultColumns: columns,
    returnsSet: row.returns_set,
    volatility: volatilities[row.volatility] ?? 'volatile',
    definitionHash: hashDefinition(row),
  }
}

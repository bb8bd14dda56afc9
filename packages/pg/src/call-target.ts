import { ArgumentCountError, UnknownArgumentError } from './errors'
import { quoteIdent } from './identifiers'
import type { FunctionParameter } from './signature'

/** Arguments of a call: positional, or by parameter name. */
export type FunctionArguments = readonly unknown[] | Readonly<Record<string, unknown>>

/** How a call's rows become its result. */
export type ResultKind = 'rows' | 'values' | 'row' | 'value'

/** One callable version, as the function client calls it. */
export interface CallTarget {
  /** `get_properties__v3`. */
  readonly physicalName: string
  /** The quoted, schema-qualified name to put in SQL text. */
  readonly qualified: string
  /** The input parameters, to check and bind arguments against. */
  readonly parameters: readonly FunctionParameter[]
  /** How the rows become the result. */
  readonly kind: ResultKind
}

/** The result shape of a signature. */
export function resultKind(returnsSet: boolean, hasColumns: boolean): ResultKind {
  if (returnsSet) return hasColumns ? 'rows' : 'values'
  return hasColumns ? 'row' : 'value'
}

/**
 * Checks arguments against the parameters and builds the argument list: `$1, $2` for an
 * array, `"name" => $1` for an object. Values never enter the SQL text.
 */
export function bindArguments(target: CallTarget, args: FunctionArguments | undefined) {
  const parameters = target.parameters
  const required = parameters.filter((p) => !p.hasDefault).length

  if (args === undefined || Array.isArray(args)) {
    const values: readonly unknown[] = args ?? []
    if (values.length < required || values.length > parameters.length) {
      throw new ArgumentCountError(target.physicalName, values.length, required, parameters.length)
    }
    const list = values.map(
      (_, i) => `${parameters[i]?.mode === 'variadic' ? 'variadic ' : ''}$${i + 1}`,
    )
    return { list: list.join(', '), values: [...values] }
  }

  return bindNamed(target, args as Readonly<Record<string, unknown>>)
}

function bindNamed(target: CallTarget, args: Readonly<Record<string, unknown>>) {
  const keys = Object.keys(args)
  const byName = new Map(target.parameters.map((p) => [p.name, p]))
  const unknown = keys.filter((key) => key === '' || !byName.has(key))
  const missing = target.parameters.filter((p) => !p.hasDefault && !(p.name in args))

  if (unknown.length > 0) {
    const names = unknown.map((k) => JSON.stringify(k)).join(', ')
    throw new UnknownArgumentError(`${target.physicalName} has no parameter ${names}`)
  }
  if (missing.length > 0) {
    const names = missing.map((p) => p.name || '(unnamed)').join(', ')
    throw new UnknownArgumentError(`${target.physicalName} needs parameter ${names}`)
  }

  const list = keys.map((key, i) => `${quoteIdent(key)} => $${i + 1}`)
  return { list: list.join(', '), values: keys.map((key) => args[key]) }
}

/** The SQL text of a call. */
export function callText(target: CallTarget, list: string): string {
  const invocation = `${target.qualified}(${list})`
  if (target.kind === 'value') return `select ${invocation} as value`
  if (target.kind === 'values') return `select t.value from ${invocation} as t(value)`
  return `select * from ${invocation}`
}

/** Turns the rows of a call into its result. */
export function shape(kind: ResultKind, rows: Record<string, unknown>[]): unknown {
  if (kind === 'rows') return rows
  if (kind === 'values') return rows.map((row) => row.value)
  if (kind === 'row') return rows[0] ?? null
  return rows[0]?.value ?? null
}

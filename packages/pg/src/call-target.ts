import { ArgumentCountError, UnknownArgumentError } from './errors'
import { quoteIdent } from './identifiers'
import type { QueryResult } from './queryable'
import type { FunctionVersion } from './registry'
import type { FunctionParameter } from './signature'

/** Arguments of a call: positional, or by parameter name. */
export type FunctionArguments = readonly unknown[] | Readonly<Record<string, unknown>>

/** The SQL text of a call by name, with the argument order it binds. */
interface NamedPlan {
  readonly keys: readonly string[]
  readonly text: string
}

/** How many distinct argument-name orders one version caches. */
const maxNamedPlans = 64

/**
 * One callable version, as the function client calls it. SQL texts are built on first
 * use and kept, so a call does a map look-up and binds values, nothing more.
 */
export interface CallTarget {
  /** `get_properties__v3`. */
  readonly physicalName: string
  /** The quoted, schema-qualified name to put in SQL text. */
  readonly qualified: string
  /** What identifies this definition: the target is reused while it stays the same. */
  readonly identity: string
  /** The input parameters, to check and bind arguments against. */
  readonly parameters: readonly FunctionParameter[]
  /** The statement shape: rows, values, one row or one value. */
  readonly kind: ResultKind
  /** How many leading parameters have no default. */
  readonly required: number
  /** Turns the query result into the call's result. */
  readonly shape: (result: QueryResult<Record<string, unknown>>) => unknown
  /** SQL text by positional argument count. */
  readonly positional: (string | undefined)[]
  /** SQL text by argument names in the order given, joined with commas. */
  readonly named: Map<string, NamedPlan>
}

const shapes = {
  rows: (result: QueryResult<Record<string, unknown>>) => result.rows,
  values: (result: QueryResult<Record<string, unknown>>) => result.rows.map((row) => row.value),
  row: (result: QueryResult<Record<string, unknown>>) => result.rows[0] ?? null,
  value: (result: QueryResult<Record<string, unknown>>) => result.rows[0]?.value ?? null,
}

/** How a call's rows become its result. */
export type ResultKind = keyof typeof shapes

function resultKind(returnsSet: boolean, hasColumns: boolean): ResultKind {
  if (returnsSet) return hasColumns ? 'rows' : 'values'
  return hasColumns ? 'row' : 'value'
}

/** The identity a target is reused under across registry refreshes. */
export function targetIdentity(version: FunctionVersion): string {
  return `${version.functionSchema}.${version.physicalName}:${version.signature.definitionHash}`
}

/** Builds the call target of a registered version. */
export function createTarget(version: FunctionVersion): CallTarget {
  const { signature } = version
  const kind = resultKind(signature.returnsSet, signature.resultColumns !== null)

  return {
    physicalName: version.physicalName,
    qualified: `${quoteIdent(version.functionSchema)}.${quoteIdent(version.physicalName)}`,
    identity: targetIdentity(version),
    parameters: signature.arguments,
    kind,
    required: signature.arguments.filter((p) => !p.hasDefault).length,
    shape: shapes[kind],
    positional: [],
    named: new Map(),
  }
}

/** The SQL text of a call with the given argument list. */
function callText(target: CallTarget, list: string): string {
  const invocation = `${target.qualified}(${list})`
  const { kind } = target
  if (kind === 'value') return `select ${invocation} as value`
  if (kind === 'values') return `select t.value from ${invocation} as t(value)`
  return `select * from ${invocation}`
}

/**
 * The SQL text of a positional call with `count` arguments: `$1, $2`, with `variadic`
 * before a variadic parameter. Checks the count first.
 */
export function positionalText(target: CallTarget, count: number): string {
  const cached = target.positional[count]
  if (cached !== undefined) return cached

  const { parameters, required } = target
  if (count < required || count > parameters.length) {
    throw new ArgumentCountError(target.physicalName, count, required, parameters.length)
  }
  const list = parameters
    .slice(0, count)
    .map((p, i) => `${p.mode === 'variadic' ? 'variadic ' : ''}$${i + 1}`)
  const text = callText(target, list.join(', '))
  target.positional[count] = text
  return text
}

/**
 * The SQL text of a call by name (`"city" => $1`) and the values in binding order.
 * Argument names are checked against the parameters; values never enter the text.
 */
export function namedCall(
  target: CallTarget,
  args: Readonly<Record<string, unknown>>,
): { text: string; values: unknown[] } {
  const keys = Object.keys(args)
  const cacheKey = keys.join(',')
  let plan = target.named.get(cacheKey)
  // Names may contain commas: the cached plan is used only for exactly these keys.
  if (plan === undefined || !sameKeys(plan.keys, keys)) {
    plan = namedPlan(target, keys, args)
    if (target.named.size < maxNamedPlans) target.named.set(cacheKey, plan)
  }
  return { text: plan.text, values: keys.map((key) => args[key]) }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function namedPlan(
  target: CallTarget,
  keys: readonly string[],
  args: Readonly<Record<string, unknown>>,
): NamedPlan {
  const names = new Set(target.parameters.map((p) => p.name))
  const unknown = keys.filter((key) => key === '' || !names.has(key))
  const missing = target.parameters.filter((p) => !p.hasDefault && !Object.hasOwn(args, p.name))

  if (unknown.length > 0) {
    const list = unknown.map((k) => JSON.stringify(k)).join(', ')
    throw new UnknownArgumentError(`${target.physicalName} has no parameter ${list}`)
  }
  if (missing.length > 0) {
    const list = missing.map((p) => p.name || '(unnamed)').join(', ')
    throw new UnknownArgumentError(`${target.physicalName} needs parameter ${list}`)
  }

  const list = keys.map((key, i) => `${quoteIdent(key)} => $${i + 1}`)
  return { keys, text: callText(target, list.join(', ')) }
}

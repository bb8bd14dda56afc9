import type { FunctionParameter, FunctionSignature, ResultColumn } from './signature'

/** How a change affects callers: the overall verdict of one comparison. */
export type Verdict = 'identical' | 'compatible' | 'breaking'

/** What a difference is about. */
export type DifferenceAspect =
  | 'parameter-added'
  | 'parameter-removed'
  | 'parameter-retyped'
  | 'parameter-renamed'
  | 'parameter-mode'
  | 'parameter-default-added'
  | 'parameter-default-removed'
  | 'set-returning'
  | 'result-type'
  | 'result-column-added'
  | 'result-column-removed'
  | 'result-column-retyped'
  | 'result-column-order'
  | 'volatility'
  | 'definition'

/** One classified difference between a callable version and a candidate. */
export interface Difference {
  /** The version the candidate was compared with (0 for an application manifest). */
  readonly againstVersion: number
  /** `compatible` keeps existing callers working; `breaking` does not. */
  readonly severity: 'compatible' | 'breaking'
  /** What changed. */
  readonly aspect: DifferenceAspect
  /** A sentence naming the parameter or column and both sides. */
  readonly message: string
}

/** The result of comparing two signatures. */
export interface Comparison {
  /** `identical` when nothing differs, `breaking` when any difference is breaking. */
  readonly verdict: Verdict
  /** Every difference found, compatible ones included. */
  readonly differences: readonly Difference[]
}

/**
 * The parts of a signature a comparison reads. A manifest may leave out volatility and
 * the definition hash; they are then not compared.
 */
export type SignatureShape = Pick<
  FunctionSignature,
  'arguments' | 'resultType' | 'resultColumns' | 'returnsSet'
> &
  Partial<Pick<FunctionSignature, 'volatility' | 'definitionHash'>>

const typeAliases: Record<string, string> = {
  int: 'integer',
  int4: 'integer',
  int2: 'smallint',
  int8: 'bigint',
  bool: 'boolean',
  float4: 'real',
  float8: 'double precision',
  float: 'double precision',
  varchar: 'character varying',
  char: 'character',
  decimal: 'numeric',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
  timetz: 'time with time zone',
  time: 'time without time zone',
}

/** Normalises a type name so `int4`, `int` and `integer` compare equal. */
export function normalizeType(type: string): string {
  const text = type.trim().toLowerCase().replace(/\s+/g, ' ')
  const array = text.endsWith('[]') ? '[]' : ''
  const base = array ? text.slice(0, -2) : text
  return `${typeAliases[base] ?? base}${array}`
}

type Push = (severity: Difference['severity'], aspect: DifferenceAspect, message: string) => void

function describe(parameter: FunctionParameter, index: number): string {
  return parameter.name ? `parameter ${parameter.name}` : `parameter $${index + 1}`
}

function compareParameters(
  before: readonly FunctionParameter[],
  after: readonly FunctionParameter[],
  push: Push,
): void {
  const shared = Math.min(before.length, after.length)

  for (let index = 0; index < shared; index++) {
    const was = before[index] as FunctionParameter
    const now = after[index] as FunctionParameter
    const label = describe(was, index)
    const wasType = normalizeType(was.type)
    const nowType = normalizeType(now.type)

    if (was.name !== now.name) {
      push('breaking', 'parameter-renamed', `${label} was renamed to ${now.name || 'nothing'}`)
    }
    if (wasType !== nowType) {
      push('breaking', 'parameter-retyped', `${label} changed type from ${wasType} to ${nowType}`)
    }
    if (was.mode !== now.mode) {
      push('breaking', 'parameter-mode', `${label} changed mode from ${was.mode} to ${now.mode}`)
    }
    if (was.hasDefault && !now.hasDefault) {
      push('breaking', 'parameter-default-removed', `${label} lost its default`)
    }
    if (!was.hasDefault && now.hasDefault) {
      push('compatible', 'parameter-default-added', `${label} gained a default`)
    }
  }

  before.slice(shared).forEach((was, offset) => {
    push('breaking', 'parameter-removed', `${describe(was, shared + offset)} was removed`)
  })

  after.slice(shared).forEach((now, offset) => {
    const label = `${describe(now, shared + offset)} (${normalizeType(now.type)})`
    if (now.hasDefault) push('compatible', 'parameter-added', `${label} was added with a default`)
    else push('breaking', 'parameter-added', `${label} was added without a default`)
  })
}

function compareColumns(
  before: readonly ResultColumn[],
  after: readonly ResultColumn[],
  push: Push,
): void {
  const afterByName = new Map(after.map((column) => [column.name, column]))
  const beforeNames = new Set(before.map((column) => column.name))

  for (const was of before) {
    const now = afterByName.get(was.name)
    const wasType = normalizeType(was.type)

    if (!now) {
      push('breaking', 'result-column-removed', `result column ${was.name} was removed`)
    } else if (wasType !== normalizeType(now.type)) {
      const nowType = normalizeType(now.type)
      const message = `result column ${was.name} changed type from ${wasType} to ${nowType}`
      push('breaking', 'result-column-retyped', message)
    }
  }

  for (const now of after) {
    if (beforeNames.has(now.name)) continue
    push('breaking', 'result-column-added', `result column ${now.name} was added`)
  }

  const kept = before.filter((column) => afterByName.has(column.name)).map((c) => c.name)
  const keptAfter = after.filter((column) => beforeNames.has(column.name)).map((c) => c.name)
  if (kept.join(',') !== keptAfter.join(',')) {
    push('compatible', 'result-column-order', 'result columns were reordered')
  }
}

function compareResults(before: SignatureShape, after: SignatureShape, push: Push): void {
  if (before.returnsSet !== after.returnsSet) {
    const was = before.returnsSet ? 'a set' : 'a single value'
    const now = after.returnsSet ? 'a set' : 'a single value'
    push('breaking', 'set-returning', `the result changed from ${was} to ${now}`)
  }

  if (before.resultColumns && after.resultColumns) {
    compareColumns(before.resultColumns, after.resultColumns, push)
    return
  }

  // `SETOF` is compared above; here only the element type matters.
  const wasType = normalizeType(before.resultType.replace(/^setof\s+/i, ''))
  const nowType = normalizeType(after.resultType.replace(/^setof\s+/i, ''))
  if (before.resultColumns || after.resultColumns || wasType !== nowType) {
    push('breaking', 'result-type', `the result type changed from ${wasType} to ${nowType}`)
  }
}

/**
 * Compares a candidate signature with one a caller relies on and classifies every
 * difference. Breaking: a removed, retyped, renamed or re-moded parameter, a new
 * parameter without a default, a lost default, a changed scalar result type, an added,
 * removed or retyped result column, a change between set and single result. Compatible:
 * a new trailing parameter with a default, a new default, reordered result columns,
 * changed volatility and a changed body.
 *
 * @example
 * ```ts
 * const { verdict, differences } = compareSignatures(active, candidate, 2)
 * ```
 */
export function compareSignatures(
  before: SignatureShape,
  after: SignatureShape,
  againstVersion: number,
): Comparison {
  const differences: Difference[] = []
  const push: Push = (severity, aspect, message) => {
    differences.push({ againstVersion, severity, aspect, message })
  }

  compareParameters(before.arguments, after.arguments, push)
  compareResults(before, after, push)

  if (before.volatility && after.volatility && before.volatility !== after.volatility) {
    const message = `volatility changed from ${before.volatility} to ${after.volatility}`
    push('compatible', 'volatility', message)
  }
  const hashes = before.definitionHash && after.definitionHash
  if (hashes && before.definitionHash !== after.definitionHash && differences.length === 0) {
    push('compatible', 'definition', 'the body changed; the signature did not')
  }

  return { verdict: verdictOf(differences), differences }
}

function verdictOf(differences: readonly Difference[]): Verdict {
  if (differences.length === 0) return 'identical'
  return differences.some((d) => d.severity === 'breaking') ? 'breaking' : 'compatible'
}

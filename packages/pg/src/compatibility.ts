import { compareSignatures, type Difference, type SignatureShape } from './compare'
import { UnknownFunctionError } from './errors'
import { assertFunctionName, assertVersion } from './identifiers'
import { type RegistryOptions, registrySchema } from './install'
import type { Queryable } from './queryable'
import { type FunctionVersion, readVersions } from './registry'

/** One function an application calls, with the signature it was built against. */
export interface ManifestFunction {
  /** The logical function name. */
  readonly name: string
  /** The version the application pins; omitted, it calls the active version. */
  readonly version?: number
  /**
   * Input parameters in order. A parameter without `name` is called positionally and its
   * name is not compared; `hasDefault` defaults to `false`.
   */
  readonly arguments: readonly {
    readonly name?: string
    readonly type: string
    readonly hasDefault?: boolean
  }[]
  /** Whether the application expects a set (an array of rows). */
  readonly returnsSet: boolean
  /** The result type as `pg_get_function_result` prints it, or any alias (`int4`). */
  readonly resultType: string
  /** The result columns for row results; omit or `null` for a scalar. */
  readonly resultColumns?: readonly { readonly name: string; readonly type: string }[] | null
}

/** What an application declares it calls. */
export interface Manifest {
  /** The functions, one entry each. */
  readonly functions: readonly ManifestFunction[]
}

/** The verdict for one function of a manifest. */
export interface CompatibilityEntry {
  /** The logical function name. */
  readonly name: string
  /**
   * `ok`: the version the application would call accepts its calls (differences are all
   * compatible). `missing`: no such function, no active version, or the pinned version
   * is not callable. `breaking`: at least one breaking difference.
   */
  readonly status: 'ok' | 'missing' | 'breaking'
  /** The version that was checked, when there is one. */
  readonly version: number | null
  /** Every difference found, compatible ones included. */
  readonly differences: readonly Difference[]
  /** A one-line summary for a terminal. */
  readonly message: string
}

/** The result of a compatibility check. */
export interface CompatibilityReport {
  /** `true` when every function is `ok`. */
  readonly ok: boolean
  /** One entry per manifest function, in manifest order. */
  readonly functions: readonly CompatibilityEntry[]
}

function fail(path: string, expected: string, value: unknown): never {
  throw new TypeError(`manifest: ${path} must be ${expected}, received ${JSON.stringify(value)}`)
}

/**
 * Validates parsed JSON as a {@link Manifest}; throws a `TypeError` naming the first bad
 * field.
 */
export function parseManifest(value: unknown): Manifest {
  const functions = (value as { functions?: unknown } | null)?.functions
  if (!Array.isArray(functions)) fail('functions', 'an array', functions)

  functions.forEach((entry: Record<string, unknown>, i: number) => {
    const at = `functions[${i}]`
    if (typeof entry?.name !== 'string') fail(`${at}.name`, 'a string', entry?.name)
    assertFunctionName(entry.name)
    if (entry.version !== undefined) assertVersion(entry.version)
    if (!Array.isArray(entry.arguments)) fail(`${at}.arguments`, 'an array', entry.arguments)
    for (const [j, arg] of (entry.arguments as Record<string, unknown>[]).entries()) {
      if (typeof arg?.type !== 'string') fail(`${at}.arguments[${j}].type`, 'a string', arg?.type)
    }
    if (typeof entry.returnsSet !== 'boolean') {
      fail(`${at}.returnsSet`, 'a boolean', entry.returnsSet)
    }
    if (typeof entry.resultType !== 'string') {
      fail(`${at}.resultType`, 'a string', entry.resultType)
    }
    const columns = entry.resultColumns
    if (columns !== undefined && columns !== null && !Array.isArray(columns)) {
      fail(`${at}.resultColumns`, 'an array or null', columns)
    }
  })
  return value as Manifest
}

function pick(
  versions: readonly FunctionVersion[],
  wanted: ManifestFunction,
): FunctionVersion | string {
  const live = versions.filter((v) => v.droppedAt === null)
  if (versions.length === 0) return `${wanted.name} is not deployed`
  if (wanted.version !== undefined) {
    return live.find((v) => v.version === wanted.version) ?? `v${wanted.version} is not callable`
  }
  return live.find((v) => v.status === 'active') ?? `${wanted.name} has no active version`
}

function expected(wanted: ManifestFunction, actual: FunctionVersion): SignatureShape {
  return {
    arguments: wanted.arguments.map((arg, i) => ({
      name: arg.name ?? actual.signature.arguments[i]?.name ?? '',
      type: arg.type,
      mode: actual.signature.arguments[i]?.mode ?? 'in',
      hasDefault: arg.hasDefault ?? false,
    })),
    returnsSet: wanted.returnsSet,
    resultType: wanted.resultType,
    resultColumns: wanted.resultColumns ?? null,
  }
}

function checkOne(wanted: ManifestFunction, versions: FunctionVersion[]): CompatibilityEntry {
  const actual = pick(versions, wanted)
  if (typeof actual === 'string') {
    return { name: wanted.name, status: 'missing', version: null, differences: [], message: actual }
  }

  const { verdict, differences } = compareSignatures(
    expected(wanted, actual),
    actual.signature,
    actual.version,
  )
  const breaking = differences.filter((d) => d.severity === 'breaking')
  const status = verdict === 'breaking' ? 'breaking' : 'ok'
  const message =
    status === 'ok'
      ? `v${actual.version} accepts the declared calls (${verdict})`
      : `v${actual.version}: ${breaking.map((d) => d.message).join('; ')}`
  return { name: wanted.name, status, version: actual.version, differences, message }
}

/**
 * Checks whether the database can serve an application: for each function it declares,
 * the pinned version (or the active one) must exist and accept the declared calls.
 * Run it in a deploy pipeline before switching traffic; `ballast-pg check` wraps it.
 *
 * @example
 * ```ts
 * const report = await checkCompatibility(db, manifest)
 * if (!report.ok) process.exitCode = 1
 * ```
 */
export async function checkCompatibility(
  db: Queryable,
  manifest: Manifest,
  options?: RegistryOptions,
): Promise<CompatibilityReport> {
  const schema = registrySchema(options)
  const checked = parseManifest(manifest)
  const all = await readVersions(db, schema)

  const functions = checked.functions.map((wanted) =>
    checkOne(
      wanted,
      all.filter((v) => v.name === wanted.name),
    ),
  )
  return { ok: functions.every((f) => f.status === 'ok'), functions }
}

/**
 * Builds a manifest from the versions active now (or from `pins`), for an application to
 * commit beside its code and check later with {@link checkCompatibility}.
 *
 * @example
 * ```ts
 * const manifest = await createManifest(db, ['get_properties'])
 * await writeFile('ballast-manifest.json', JSON.stringify(manifest, null, 2))
 * ```
 */
export async function createManifest(
  db: Queryable,
  names: readonly string[],
  options?: RegistryOptions & { readonly pins?: Readonly<Record<string, number>> },
): Promise<Manifest> {
  const schema = registrySchema(options)
  const all = await readVersions(db, schema)

  const functions = names.map((name): ManifestFunction => {
    assertFunctionName(name)
    const pinned = options?.pins?.[name]
    const wanted = { name, version: pinned, arguments: [], returnsSet: false, resultType: '' }
    const found = pick(
      all.filter((v) => v.name === name),
      wanted,
    )
    if (typeof found === 'string')
      throw new UnknownFunctionError(name, `cannot be described: ${found}`)
    const s = found.signature
    return {
      name,
      ...(pinned === undefined ? {} : { version: pinned }),
      arguments: s.arguments.map(({ name, type, hasDefault }) => ({ name, type, hasDefault })),
      returnsSet: s.returnsSet,
      resultType: s.resultType,
      resultColumns: s.resultColumns,
    }
  })
  return { functions }
}

import { InvalidIdentifierError } from './errors'

/** The longest version suffix: `__v` plus a 10-digit 32-bit integer. */
const maxSuffixLength = 13

const namePattern = new RegExp(`^[a-z_][a-z0-9_]{0,${62 - maxSuffixLength}}$`)
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/
const versionSuffix = /__v[0-9]+$/

/** The largest version number: versions are stored as PostgreSQL `integer`. */
export const maxVersion = 2_147_483_647

/** Whether `name` is a valid logical function name (see {@link assertFunctionName}). */
export function isFunctionName(name: unknown): name is string {
  return typeof name === 'string' && namePattern.test(name) && !versionSuffix.test(name)
}

/**
 * Checks a logical function name: lower case, starting with a letter or `_`, at most 50
 * characters so that the versioned name fits PostgreSQL's 63-byte identifiers, and not
 * itself ending in a version suffix.
 */
export function assertFunctionName(name: unknown): asserts name is string {
  if (!isFunctionName(name)) {
    throw new InvalidIdentifierError('A function name', String(name), namePattern.source)
  }
}

/** Checks a schema name: a plain lower-case identifier of at most 63 characters. */
export function assertSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || !schemaPattern.test(schema)) {
    throw new InvalidIdentifierError('A schema name', String(schema), schemaPattern.source)
  }
}

/** Checks a version: a positive 32-bit integer. */
export function assertVersion(version: unknown): asserts version is number {
  const ok = Number.isSafeInteger(version) && (version as number) > 0
  if (!ok || (version as number) > maxVersion) {
    const received = String(version)
    throw new RangeError(
      `A function version must be a positive integer up to ${maxVersion}, received ${received}`,
    )
  }
}

/** The physical name of one version: `get_properties` v3 is `get_properties__v3`. */
export function physicalName(name: string, version: number): string {
  return `${name}__v${version}`
}

/**
 * Quotes an identifier for SQL text. Names are validated before they get here; quoting
 * anyway means a validation bug cannot turn into an injection.
 */
export function quoteIdent(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}

/** The NOTIFY channel of a registry schema. */
export function channelName(schema: string): string {
  return `${schema}_function_versions`
}

import type { Difference } from './compare'
import type { LintFinding } from './lint'

/** Every error code `@ballast/pg` raises. */
export type BallastPgErrorCode =
  | 'BALLAST_PG_BREAKING_CHANGE'
  | 'BALLAST_PG_UNKNOWN_FUNCTION'
  | 'BALLAST_PG_UNKNOWN_VERSION'
  | 'BALLAST_PG_ARGUMENT_COUNT'
  | 'BALLAST_PG_UNKNOWN_ARGUMENT'
  | 'BALLAST_PG_INVALID_IDENTIFIER'
  | 'BALLAST_PG_INVALID_DEPLOYMENT'
  | 'BALLAST_PG_VERSION_EXISTS'
  | 'BALLAST_PG_DEFINITION_CHANGED'
  | 'BALLAST_PG_NO_PREVIOUS_VERSION'
  | 'BALLAST_PG_CHECKSUM_MISMATCH'
  | 'BALLAST_PG_MIGRATION_LINT'
  | 'BALLAST_PG_MIGRATION'
  | 'BALLAST_PG_CLIENT_CLOSED'
  | 'BALLAST_PG_BUS_UNAVAILABLE'

/** The base class of every error this package raises; `code` tells them apart. */
export class BallastPgError extends Error {
  /** Stable machine-readable code, prefixed `BALLAST_PG_`. */
  readonly code: BallastPgErrorCode

  constructor(code: BallastPgErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BallastPgError'
    this.code = code
  }
}

/** A deployment differs from a callable version in a way that breaks its callers. */
export class BreakingChangeError extends BallastPgError {
  /** Every breaking difference, against every compared version. */
  readonly differences: readonly Difference[]

  constructor(name: string, version: number, differences: readonly Difference[]) {
    const lines = differences.map((d) => `  - against v${d.againstVersion}: ${d.message}`)
    super(
      'BALLAST_PG_BREAKING_CHANGE',
      `${name} v${version} breaks callers of callable versions; pass allowBreaking: true ` +
        `to deploy anyway:\n${lines.join('\n')}`,
    )
    this.name = 'BreakingChangeError'
    this.differences = differences
  }
}

/** No version of the named function is registered (or none is active). */
export class UnknownFunctionError extends BallastPgError {
  /** The logical function name that was asked for. */
  readonly functionName: string

  constructor(functionName: string, detail = 'is not registered') {
    super('BALLAST_PG_UNKNOWN_FUNCTION', `Function ${functionName} ${detail}`)
    this.name = 'UnknownFunctionError'
    this.functionName = functionName
  }
}

/** The named function exists but the requested version does not (or was pruned). */
export class UnknownVersionError extends BallastPgError {
  /** The logical function name. */
  readonly functionName: string
  /** The version that was asked for. */
  readonly version: number

  constructor(functionName: string, version: number, detail = 'is not callable') {
    super('BALLAST_PG_UNKNOWN_VERSION', `Function ${functionName} v${version} ${detail}`)
    this.name = 'UnknownVersionError'
    this.functionName = functionName
    this.version = version
  }
}

/** A call passed fewer arguments than required or more than the function accepts. */
export class ArgumentCountError extends BallastPgError {
  constructor(physicalName: string, received: number, min: number, max: number) {
    const expected = min === max ? `${min}` : `${min} to ${max}`
    super(
      'BALLAST_PG_ARGUMENT_COUNT',
      `${physicalName} takes ${expected} argument(s), received ${received}`,
    )
    this.name = 'ArgumentCountError'
  }
}

/** A call by name passed an argument the function does not have, or missed a required one. */
export class UnknownArgumentError extends BallastPgError {
  constructor(message: string) {
    super('BALLAST_PG_UNKNOWN_ARGUMENT', message)
    this.name = 'UnknownArgumentError'
  }
}

/** A function, schema or channel name is not a plain lower-case SQL identifier. */
export class InvalidIdentifierError extends BallastPgError {
  /** The rejected text. */
  readonly identifier: string

  constructor(what: string, identifier: string, rule: string) {
    super(
      'BALLAST_PG_INVALID_IDENTIFIER',
      `${what} must match ${rule}, received ${JSON.stringify(identifier)}`,
    )
    this.name = 'InvalidIdentifierError'
    this.identifier = identifier
  }
}

/** The SQL given to `deployFunction` did not create exactly the expected function. */
export class InvalidDeploymentError extends BallastPgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BALLAST_PG_INVALID_DEPLOYMENT', message, options)
    this.name = 'InvalidDeploymentError'
  }
}

/**
 * The version number cannot be deployed: it is older than the newest deployed version, it
 * was pruned, or its physical name is taken by a function outside the registry.
 */
export class VersionExistsError extends BallastPgError {
  constructor(message: string) {
    super('BALLAST_PG_VERSION_EXISTS', message)
    this.name = 'VersionExistsError'
  }
}

/**
 * The version is already deployed with a different definition. A version number names
 * one definition for good: ship the change as a new version.
 */
export class DefinitionChangedError extends BallastPgError {
  /** The logical function name. */
  readonly functionName: string
  /** The version that was redeployed. */
  readonly version: number
  /** The definition hash recorded when the version was first deployed. */
  readonly deployedHash: string
  /** The definition hash of the SQL given now. */
  readonly candidateHash: string

  constructor(functionName: string, version: number, deployedHash: string, candidateHash: string) {
    super(
      'BALLAST_PG_DEFINITION_CHANGED',
      `${functionName} v${version} is already deployed with a different definition ` +
        `(deployed ${deployedHash.slice(0, 12)}, given ${candidateHash.slice(0, 12)}); ` +
        'deploy the change as a new version',
    )
    this.name = 'DefinitionChangedError'
    this.functionName = functionName
    this.version = version
    this.deployedHash = deployedHash
    this.candidateHash = candidateHash
  }
}

/** `rollback` found no previous version to return to. */
export class NoPreviousVersionError extends BallastPgError {
  constructor(functionName: string) {
    super(
      'BALLAST_PG_NO_PREVIOUS_VERSION',
      `Function ${functionName} has no previous version to roll back to`,
    )
    this.name = 'NoPreviousVersionError'
  }
}

/** An applied migration file was edited after it ran. */
export class ChecksumMismatchError extends BallastPgError {
  /** The migration id (its file name). */
  readonly migration: string

  constructor(migration: string, recorded: string, actual: string) {
    super(
      'BALLAST_PG_CHECKSUM_MISMATCH',
      `Migration ${migration} was changed after it was applied ` +
        `(recorded sha256 ${recorded.slice(0, 12)}, file now ${actual.slice(0, 12)})`,
    )
    this.name = 'ChecksumMismatchError'
    this.migration = migration
  }
}

/** A pending migration would break running application versions. */
export class MigrationLintError extends BallastPgError {
  /** What the linter found, with line numbers. */
  readonly findings: readonly LintFinding[]

  constructor(migration: string, findings: readonly LintFinding[]) {
    const lines = findings.map((f) => `  - line ${f.line} [${f.rule}]: ${f.message}`)
    super(
      'BALLAST_PG_MIGRATION_LINT',
      `Migration ${migration} breaks expand/contract; fix it or annotate the file with ` +
        `"-- ballast:allow <rule>":\n${lines.join('\n')}`,
    )
    this.name = 'MigrationLintError'
    this.findings = findings
  }
}

/** A migration could not be applied or reverted (failed SQL, missing down script...). */
export class MigrationError extends BallastPgError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BALLAST_PG_MIGRATION', message, options)
    this.name = 'MigrationError'
  }
}

/** The function client was closed. */
export class ClientClosedError extends BallastPgError {
  constructor() {
    super('BALLAST_PG_CLIENT_CLOSED', 'The function client is closed')
    this.name = 'ClientClosedError'
  }
}

function hasCode(error: unknown, code: BallastPgErrorCode): boolean {
  return typeof error === 'object' && error !== null && Reflect.get(error, 'code') === code
}

/** True for any error raised by `@ballast/pg`, across duplicated package copies. */
export function isBallastPgError(error: unknown): error is BallastPgError {
  const code = typeof error === 'object' && error !== null ? Reflect.get(error, 'code') : null
  return typeof code === 'string' && code.startsWith('BALLAST_PG_')
}

/** True when `error` is a {@link BreakingChangeError}. */
export function isBreakingChangeError(error: unknown): error is BreakingChangeError {
  return hasCode(error, 'BALLAST_PG_BREAKING_CHANGE')
}

/** True when `error` is an {@link UnknownFunctionError}. */
export function isUnknownFunctionError(error: unknown): error is UnknownFunctionError {
  return hasCode(error, 'BALLAST_PG_UNKNOWN_FUNCTION')
}

/** True when `error` is an {@link UnknownVersionError}. */
export function isUnknownVersionError(error: unknown): error is UnknownVersionError {
  return hasCode(error, 'BALLAST_PG_UNKNOWN_VERSION')
}

/** True when `error` is an {@link ArgumentCountError}. */
export function isArgumentCountError(error: unknown): error is ArgumentCountError {
  return hasCode(error, 'BALLAST_PG_ARGUMENT_COUNT')
}

/** True when `error` is an {@link UnknownArgumentError}. */
export function isUnknownArgumentError(error: unknown): error is UnknownArgumentError {
  return hasCode(error, 'BALLAST_PG_UNKNOWN_ARGUMENT')
}

/** True when `error` is an {@link InvalidIdentifierError}. */
export function isInvalidIdentifierError(error: unknown): error is InvalidIdentifierError {
  return hasCode(error, 'BALLAST_PG_INVALID_IDENTIFIER')
}

/** True when `error` is an {@link InvalidDeploymentError}. */
export function isInvalidDeploymentError(error: unknown): error is InvalidDeploymentError {
  return hasCode(error, 'BALLAST_PG_INVALID_DEPLOYMENT')
}

/** True when `error` is a {@link VersionExistsError}. */
export function isVersionExistsError(error: unknown): error is VersionExistsError {
  return hasCode(error, 'BALLAST_PG_VERSION_EXISTS')
}

/** True when `error` is a {@link DefinitionChangedError}. */
export function isDefinitionChangedError(error: unknown): error is DefinitionChangedError {
  return hasCode(error, 'BALLAST_PG_DEFINITION_CHANGED')
}

/** True when `error` is a {@link NoPreviousVersionError}. */
export function isNoPreviousVersionError(error: unknown): error is NoPreviousVersionError {
  return hasCode(error, 'BALLAST_PG_NO_PREVIOUS_VERSION')
}

/** True when `error` is a {@link ChecksumMismatchError}. */
export function isChecksumMismatchError(error: unknown): error is ChecksumMismatchError {
  return hasCode(error, 'BALLAST_PG_CHECKSUM_MISMATCH')
}

/** True when `error` is a {@link MigrationLintError}. */
export function isMigrationLintError(error: unknown): error is MigrationLintError {
  return hasCode(error, 'BALLAST_PG_MIGRATION_LINT')
}

/** True when `error` is a {@link MigrationError}. */
export function isMigrationError(error: unknown): error is MigrationError {
  return hasCode(error, 'BALLAST_PG_MIGRATION')
}

/** True when `error` is a {@link ClientClosedError}. */
export function isClientClosedError(error: unknown): error is ClientClosedError {
  return hasCode(error, 'BALLAST_PG_CLIENT_CLOSED')
}

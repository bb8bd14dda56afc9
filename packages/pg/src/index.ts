export {
  type ActivateOptions,
  type ActivationNotice,
  type ActivationResult,
  activate,
  type PruneOptions,
  type PruneResult,
  prune,
  rollback,
} from './activate'
export {
  type Comparison,
  compareSignatures,
  type Difference,
  type DifferenceAspect,
  normalizeType,
  type SignatureShape,
  type Verdict,
} from './compare'
export {
  type CompatibilityEntry,
  type CompatibilityReport,
  checkCompatibility,
  createManifest,
  type Manifest,
  type ManifestFunction,
  parseManifest,
} from './compatibility'
export {
  baselineVersions,
  type DeployComparison,
  type DeployFunctionOptions,
  type DeployResult,
  deployFunction,
} from './deploy'
export * from './errors'
export {
  fromPgClient,
  fromPgPool,
  type PgClientLike,
  type PgListenerClientLike,
  type PgNotification,
  type PgPoolAdapterOptions,
  type PgPoolClientLike,
  type PgPoolLike,
} from './from-pg'
export { fromPglite, type PgliteLike, type PgliteTransactionLike } from './from-pglite'
export {
  type Clock,
  createFunctionClient,
  type FunctionArguments,
  type FunctionCallEvent,
  type FunctionCallOptions,
  type FunctionClient,
  type FunctionClientEvents,
  type FunctionClientOptions,
  type FunctionListeningEvent,
  type FunctionRefreshEvent,
  type PgLogger,
} from './function-client'
export { channelName, maxVersion, physicalName } from './identifiers'
export { install, type RegistryOptions } from './install'
export { installSql } from './install-sql'
export { type LintFinding, type LintOptions, type LintRule, lintMigration, lintRules } from './lint'
export { type MigrateOptions, type MigrationResult, migrate, migrateDown } from './migrate'
export {
  createNotifyBus,
  isNotifyBusUnavailableError,
  NOTIFY_BUS_UNAVAILABLE,
  type NotifyBus,
  type NotifyBusEvents,
  type NotifyBusHealthCheck,
  type NotifyBusMessage,
  type NotifyBusOptions,
  type NotifyBusReport,
  type NotifyBusSnapshot,
  type NotifyBusState,
  type NotifyBusSubscriber,
  NotifyBusUnavailableError,
} from './notify-bus'
export type { Queryable, QueryResult, TransactionQueryable } from './queryable'
export { type FunctionVersion, listVersions, type VersionStatus } from './registry'
export { type CheckConnection, type CheckIo, runCheck } from './run-check'
export type { FunctionParameter, FunctionSignature, ResultColumn, Volatility } from './signature'
export { type FunctionStats, functionStats, type VersionStats } from './stats'

import { resolve } from 'node:path'

/** How the server is configured: every field comes from an environment variable. */
export interface Config {
  /** `PORT`: where to listen. Default 3000; `0` picks a free port. */
  readonly port: number
  /** `HOST`: the interface to listen on. Default `127.0.0.1`. */
  readonly host: string
  /**
   * `DATABASE_URL`: a PostgreSQL server. Unset: an embedded PGlite database kept in
   * `dataDir`, so a restart loses nothing.
   */
  readonly databaseUrl: string | undefined
  /** `DATA_DIR`: the embedded database's folder. Default `.data` in the working directory. */
  readonly dataDir: string
  /** `REDIS_URL`: a Redis server for the shared cache tier and the invalidation bus. */
  readonly redisUrl: string | undefined
  /**
   * `CACHE_NAMESPACE`: what this deployment's cached entries and invalidations are filed
   * under in a shared Redis. Every instance of one deployment must use the same value, and
   * two deployments sharing a Redis (staging and production, or test runs) different ones.
   * Default `property-api:v1`; change the version part when cached values change shape.
   */
  readonly cacheNamespace: string
  /** `CACHE_MAX_BYTES`: bytes the in-memory cache may hold. Default 64 MiB. */
  readonly cacheMaxBytes: number
  /** `CACHE_TTL_MS`: how long a cached read stays fresh. Default 300000 (5 minutes). */
  readonly cacheTtlMs: number
  /**
   * `CACHE_GRACE_MS`: how long after that an entry may still answer, flagged stale, when the
   * database fails. Default 3600000 (an hour).
   */
  readonly cacheGraceMs: number
  /** `LOG_LEVEL`: pino's level. Default `info`. */
  readonly logLevel: string
  /** `SEED_DEMO_DATA`: put demo landlords in an empty database. Default `true`. */
  readonly seedDemoData: boolean
  /**
   * `DRAIN_DELAY_MS`: after SIGTERM, how long readiness answers 503 while requests are still
   * served, so load balancers stop sending traffic before the listener closes. Default 5000.
   */
  readonly drainDelayMs: number
  /** `DRAIN_GRACE_MS`: how long requests in flight may take to finish. Default 10000. */
  readonly drainGraceMs: number
  /**
   * `REQUEST_TIMEOUT_MS`: how long a client may take to send a whole request before it is
   * answered 408 and its connection closed. Default 10000.
   */
  readonly requestTimeoutMs: number
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** A setting that could not be used; the message names the variable and what was wrong. */
export class ConfigError extends Error {
  /** Stable code of this error. */
  readonly code = 'PROPERTY_API_BAD_CONFIG'

  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** Reads the configuration from `env`, failing with a {@link ConfigError} on bad values. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = env.LOG_LEVEL ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  }

  return {
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: resolve(env.DATA_DIR ?? '.data'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    cacheNamespace: namespace(env.CACHE_NAMESPACE),
    cacheMaxBytes: integer(env, 'CACHE_MAX_BYTES', 64 * 1024 * 1024, 1024 * 1024, 2 ** 40),
    cacheTtlMs: integer(env, 'CACHE_TTL_MS', 300_000, 1, 86_400_000),
    cacheGraceMs: integer(env, 'CACHE_GRACE_MS', 3_600_000, 0, 7 * 86_400_000),
    logLevel,
    seedDemoData: flag(env, 'SEED_DEMO_DATA', true),
    drainDelayMs: integer(env, 'DRAIN_DELAY_MS', 5_000, 0, 120_000),
    drainGraceMs: integer(env, 'DRAIN_GRACE_MS', 10_000, 0, 300_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 10_000, 100, 300_000),
  }
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback

  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`)
  }

  return value
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | undefined {
  const text = env[name]
  if (text === undefined || text === '') return undefined

  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    throw new ConfigError(`${name} must be a URL, got a value that does not parse`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')}//`)
  }

  return text
}

function namespace(text: string | undefined): string {
  if (text === undefined || text === '') return 'property-api:v1'
  if (/^[A-Za-z0-9_.:-]{1,48}$/.test(text)) return text

  throw new ConfigError(`CACHE_NAMESPACE must be 1-48 characters of [A-Za-z0-9_.:-], got "${text}"`)
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  if (text === 'true' || text === '1') return true
  if (text === 'false' || text === '0') return false

  throw new ConfigError(`${name} must be true, false, 1 or 0, got "${text}"`)
}

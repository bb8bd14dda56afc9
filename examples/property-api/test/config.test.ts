import { describe, expect, it } from 'vitest'
import { ConfigError, readConfig } from '../src/config'

describe('readConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(readConfig({})).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      redisUrl: undefined,
      cacheNamespace: 'property-api:v1',
      cacheMaxBytes: 64 * 1024 * 1024,
      cacheTtlMs: 300_000,
      cacheGraceMs: 3_600_000,
      logLevel: 'info',
      seedDemoData: true,
      drainDelayMs: 5_000,
      drainGraceMs: 10_000,
    })
  })

  it('reads every variable', () => {
    const config = readConfig({
      PORT: '0',
      DATABASE_URL: 'postgres://app@db:5432/app',
      REDIS_URL: 'redis://cache:6379',
      CACHE_NAMESPACE: 'property-api:v2',
      CACHE_MAX_BYTES: '8388608',
      CACHE_TTL_MS: '1000',
      CACHE_GRACE_MS: '0',
      LOG_LEVEL: 'warn',
      SEED_DEMO_DATA: 'false',
      DRAIN_DELAY_MS: '0',
    })

    expect(config).toMatchObject({
      port: 0,
      databaseUrl: 'postgres://app@db:5432/app',
      redisUrl: 'redis://cache:6379',
      cacheNamespace: 'property-api:v2',
      cacheMaxBytes: 8_388_608,
      cacheTtlMs: 1_000,
      cacheGraceMs: 0,
      logLevel: 'warn',
      seedDemoData: false,
      drainDelayMs: 0,
    })
  })

  it('names the variable and what was wrong with it', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: '70000' }, /^PORT must be an integer from 0 to 65535, got "70000"$/],
      [{ PORT: 'abc' }, /^PORT must be an integer/],
      [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must start with postgres: or postgresql:/],
      [{ REDIS_URL: 'not a url' }, /^REDIS_URL must be a URL/],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
      [{ SEED_DEMO_DATA: 'yes' }, /^SEED_DEMO_DATA must be true, false, 1 or 0/],
      [{ CACHE_NAMESPACE: 'has space' }, /^CACHE_NAMESPACE must be 1-48 characters/],
      [{ CACHE_MAX_BYTES: '10' }, /^CACHE_MAX_BYTES must be an integer from 1048576/],
    ]

    for (const [env, message] of cases) {
      expect(() => readConfig(env)).toThrow(ConfigError)
      expect(() => readConfig(env)).toThrow(message)
    }
  })
})

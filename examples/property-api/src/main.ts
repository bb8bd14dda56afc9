import pino from 'pino'
import { ConfigError, readConfig } from './config'
import { createServer } from './server'

/**
 * `npm start`: reads the environment, brings the database up to date, listens, and prints
 * where to send requests. SIGTERM and SIGINT drain the server: readiness turns to 503 at once,
 * requests keep being served for the drain delay, then requests in flight finish and the
 * connections close.
 */
async function main(): Promise<void> {
  const config = readConfig()
  const logger = pino({ level: config.logLevel })

  const server = await createServer({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    redisUrl: config.redisUrl,
    cacheNamespace: config.cacheNamespace,
    cacheBytes: config.cacheMaxBytes,
    cacheTtlMs: config.cacheTtlMs,
    cacheGraceMs: config.cacheGraceMs,
    logger,
    seedDemoData: config.seedDemoData,
    drainDelayMs: config.drainDelayMs,
    drainGraceMs: config.drainGraceMs,
    requestTimeoutMs: config.requestTimeoutMs,
  })

  const address = await server.app.listen({ port: config.port, host: config.host })
  server.health.handleSignals(['SIGTERM', 'SIGINT'])
  server.health.on('drainStart', (event) => logger.info({ reason: event.reason }, 'draining'))

  logger.info(
    {
      url: address,
      database: server.database.kind,
      dataDir: pgliteDir(config),
      sharedTier: server.shared.kind,
      redisUrl: config.redisUrl === undefined ? undefined : redacted(config.redisUrl),
    },
    'listening',
  )
  for (const account of server.demoAccounts) {
    logger.info({ email: account.email, token: account.token }, 'demo account')
  }
  logger.info(
    `try: curl -i -H 'authorization: Bearer ${server.demoAccounts[0]?.token ?? '<token>'}' ` +
      `${address}/properties`,
  )
}

function pgliteDir(config: { databaseUrl: string | undefined; dataDir: string }) {
  return config.databaseUrl === undefined ? config.dataDir : undefined
}

function redacted(url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.toString()
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? error.message : error
  pino().fatal({ err: message }, 'the server could not start')
  // Exit now: what was opened before the failure (a pool, a Redis client) would otherwise
  // keep a process alive that serves nothing. pino writes to stdout synchronously.
  process.exit(1)
})

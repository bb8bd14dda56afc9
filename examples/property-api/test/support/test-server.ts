import type { LightMyRequestResponse } from 'fastify'
import { createServer, type Server, type ServerOptions } from '../../src/server'
import { createTestDatabase, type TestDatabaseLocation } from './test-database'

/** The demo landlords' tokens, as the seed function creates them. */
export const ALICE = 'demo-alice-token'
export const BOB = 'demo-bob-token'

/** A server on a database of its own, with helpers to send requests to it. */
export interface TestServer {
  readonly server: Server
  /** Sends a request through Fastify's `inject`, as `token`'s landlord when given. */
  request(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>
  /** Closes the server and drops its database. */
  close(): Promise<void>
}

/**
 * Starts a server the way `npm start` does, on PGlite in a throwaway folder or on a
 * throwaway database of the real server when `DATABASE_URL` is set.
 */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const location: TestDatabaseLocation = await createTestDatabase()
  const server = await createServer({
    databaseUrl: location.url,
    dataDir: location.dataDir,
    drainDelayMs: 0,
    drainGraceMs: 1_000,
    ...options,
  })

  return {
    server,
    request(method, url, { token, body, headers = {} } = {}) {
      return server.app.inject({
        method,
        url,
        headers: token === undefined ? headers : { ...headers, authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as object }),
      })
    },
    async close() {
      await server.close()
      await location.drop()
    },
  }
}

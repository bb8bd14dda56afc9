import { Writable } from 'node:stream'
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { useLazyRequestLoggers } from '../src/request-logger'

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })

  return { lines, logger: pino({ level: 'info' }, stream) }
}

describe('useLazyRequestLoggers', () => {
  it('logs through a child with the request id, made only when a request logs', async () => {
    const { lines, logger } = capture()
    const app = Fastify({
      loggerInstance: logger as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
    })
    useLazyRequestLoggers(app)
    app.get('/quiet', async () => 'ok')
    app.get('/loud', async (request) => {
      request.log.warn({ route: '/loud' }, 'something worth a line')
      return 'ok'
    })

    await app.inject('/quiet')
    await app.inject('/loud')

    expect(lines).toEqual([
      expect.objectContaining({ level: 40, route: '/loud', msg: 'something worth a line' }),
    ])
    expect(lines[0]?.reqId).toBeDefined()
    await app.close()
  })
})

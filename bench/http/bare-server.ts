import Fastify from 'fastify'

/**
 * The floor the example server is measured against: a bare Fastify route on the same
 * machine, answering a body of the size a cached `GET /properties` answers, with nothing in
 * between. Started as a process of its own, like the example, so both pay the same costs.
 */
const body = JSON.parse(process.env.BARE_BODY ?? '{"items":[]}') as unknown
const app = Fastify({ logger: false })

app.get('/bare', async () => body)

const url = await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`${JSON.stringify({ msg: 'listening', url })}\n`)
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0))
})
